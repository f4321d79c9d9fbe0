// The Logto Management API emulator used by the tests (and by `npm run emulator`).
export {
  LogtoEmulator,
  OperatorCredentials,
  startLogtoEmulator,
  type LogtoEmulatorOptions,
  type OperatorOptions,
} from './emulator.js';
export { ManualClock, SystemClock, type AdjustableClock, type Clock } from './clock.js';
export type { CallFilter, CallRecord, CallRecorder } from './calls.js';
export type { FaultInjector, FaultRule, OutageMode } from './faults.js';
export type {
  SeedApplicationInput,
  SeedOrganizationInput,
  SeedOrganizationScopeInput,
  SeedResourceInput,
  SeedRoleInput,
  SeedSpec,
  SeedUserInput,
  Seeder,
} from './seed.js';
export type { ApplicationRecord, EmulatorState, SecretRecord } from './state.js';
export { managementScope } from './auth.js';
export { defaultSecretName } from './records.js';
