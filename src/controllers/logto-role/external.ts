/**
 * The Logto side of one LogtoRole pass (see declared/external.ts): a MachineToMachine role with the
 * spec's name, its description (ended with the ownership marker), and exactly the scopes the spec
 * names through LogtoApiResources of this namespace or granted to it. Which role is this object's
 * is declared/identity.ts's decision; the natural key is the role's name.
 */
import { LogtoApiError, ignoreNotFound } from '../../api/errors.js';
import { listAll } from '../../api/client.js';
import type { Role } from '../../api/schemas.js';
import { mayAdoptByKey } from '../../connections/policy.js';
import { LOGTO_ID_FORM, type LogtoRole, type LogtoRoleStatus } from '../../crd/logto-role.js';
import { CreateRefused } from '../logto-application/external-client.js';
import { stopFromLogtoError } from '../logto-application/logto-errors.js';
import { mapped, mayHaveCreated } from '../logto-application/logto-external.js';
import { ReconcileStop } from '../logto-application/outcome.js';
import { openPass, type DeclaredConnectorDependencies, type Pass } from '../declared/connector.js';
import { roleNameOf } from '../declared/declarations.js';
import {
  observesOnly,
  type DeclaredConnector,
  type DeclaredExternal,
  type DeclaredUpdate,
} from '../declared/external.js';
import { MarkedExternal } from '../declared/marked-external.js';
import { roomForMarker } from '../declared/marker.js';
import { planRoles } from '../logto-application/aspects/role-plan.js';

export const ROLE_ID_FIELD = 'roleId';

type HeldScope = NonNullable<LogtoRoleStatus['scopes']>[number];

export class RoleConnector implements DeclaredConnector<LogtoRole, LogtoRoleStatus> {
  constructor(private readonly deps: DeclaredConnectorDependencies) {}

  async connect(resource: LogtoRole): Promise<DeclaredExternal<LogtoRoleStatus>> {
    const pass = await openPass(resource, this.deps, () => undefined);
    return new RoleExternal(resource, this.deps, pass);
  }
}

class RoleExternal extends MarkedExternal<Role> implements DeclaredExternal<LogtoRoleStatus> {
  /** The role with the spec's name, when it is not this object's (a rename must not take it). */
  private otherByName: Role | undefined;

  constructor(
    protected override readonly resource: LogtoRole,
    deps: DeclaredConnectorDependencies,
    pass: Pass,
  ) {
    super(resource, deps, pass, {
      describe: { byKey: `role "${roleNameOf(resource)}"`, kind: 'LogtoRole', noun: 'role' },
      idField: ROLE_ID_FIELD,
      adoptionRule: 'adoption.roleNames',
    });
  }

  private get name(): string {
    return roleNameOf(this.resource);
  }

  protected get holders() {
    return this.deps.declarations.roleHolders;
  }

  protected markedTextOf(role: Role): string {
    return role.description;
  }

  /** Logto takes 1 to 128 characters; a long name as the default description is cut to fit the marker. */
  protected get plainText(): string {
    return this.resource.spec.description ?? roomForMarker(this.name, 128);
  }

  protected mayAdopt(): boolean {
    return mayAdoptByKey(this.connection.policy, 'role', this.name);
  }

  protected read(id: string): Promise<Role> {
    return this.logto.getRole(id);
  }

  /** The role with the spec's name (exact and case-sensitive, as Logto compares), if any. */
  protected async byKey(): Promise<Role | undefined> {
    const found = await listAll('list_roles', (page, pageSize) =>
      this.logto.listRolesPage({ page, page_size: pageSize, exactName: this.name }),
    );
    return found.find((role) => role.name === this.name);
  }

  protected writeText(id: string, description: string): Promise<Role> {
    return this.logto.updateRole(id, { description });
  }

  protected remove(id: string): Promise<unknown> {
    return this.logto.deleteRole(id);
  }

  /** Admission refuses spec.name so; the default (metadata.name) is checked here. */
  protected override checkBeforeObserve(): void {
    if (new RegExp(LOGTO_ID_FORM).test(this.name)) {
      throw new ReconcileStop(
        'InvalidSpec',
        `role name "${this.name}" has the form of a Logto id (21 lowercase letters and digits), which ` +
          "applications' spec.roles would read as another role's id; set spec.name",
      );
    }
  }

  protected override onUse(byKey: Role | undefined, id: string): void {
    if (byKey && byKey.id !== id) this.otherByName = byKey;
  }

  /** Without scopes: a role create with scopeIds that fails half-way leaves the role (Logto 1.42). */
  create(): Promise<{ id: string; message: string }> {
    return mapped(async () => {
      // The scopes must resolve, and be allowed, before anything is made.
      const { refused, waiting } = await this.desiredScopes();
      if (refused ?? waiting) throw refused ?? waiting!.stop;
      try {
        this.current = await this.logto.createRole({
          name: this.name,
          description: this.markedText,
          type: 'MachineToMachine',
        });
      } catch (error) {
        if (!(error instanceof LogtoApiError)) throw error;
        const stop = stopFromLogtoError(error);
        if (error.code === 'role.name_in_use' || mayHaveCreated(error)) {
          throw new ReconcileStop(stop.reason, `${stop.message}. The operator looks the name up again.`, {
            retry: true,
          });
        }
        throw new CreateRefused(stop);
      }
      return { id: this.current.id, message: `created role "${this.name}" (${this.current.id})` };
    });
  }

  update(): Promise<DeclaredUpdate<LogtoRoleStatus>> {
    return mapped(async () => {
      if (!this.current) throw new Error('update before observe or create');
      if (this.current.type !== 'MachineToMachine') {
        throw new ReconcileStop(
          'InvalidRole',
          `role "${this.current.name}" is a ${this.current.type} role; a LogtoRole is a MachineToMachine role`,
        );
      }
      const observing = observesOnly(this.resource);
      if (this.takingOver) this.current = await this.takeOver(this.current);
      const id = this.current.id;
      const changes: string[] = [];
      if (!observing) {
        if (this.otherByName) {
          throw new ReconcileStop(
            'DeclarationConflict',
            `the tenant already has another role "${this.name}"; two roles cannot share one name`,
          );
        }
        const description = this.markedText;
        const patch = {
          ...(this.current.name !== this.name ? { name: this.name } : {}),
          ...(this.current.description !== description ? { description } : {}),
        };
        if (Object.keys(patch).length > 0) {
          this.current = await this.logto.updateRole(id, patch);
          changes.push(...Object.keys(patch));
        }
      }
      const scopes = observing ? await this.heldScopes(id) : await this.convergeScopes(id, changes);
      return {
        title: `Logto role "${this.current.name}"`,
        status: {
          roleId: id,
          name: this.current.name,
          connection: this.connection.key,
          scopes: scopes.sort((a, b) => a.resource.localeCompare(b.resource) || a.name.localeCompare(b.name)),
        },
        ...(changes.length > 0 ? { changes: `role "${this.current.name}": ${changes.join(', ')}` } : {}),
      };
    });
  }

  private async heldScopes(roleId: string): Promise<HeldScope[]> {
    const held = await listAll('list_role_scopes', (page, pageSize) =>
      this.logto.listRoleScopesPage(roleId, { page, page_size: pageSize }),
    );
    return [
      ...new Map(
        held.map((s) => [s.id, { resource: s.resource.indicator, name: s.name, id: s.id }]),
      ).values(),
    ];
  }

  /**
   * Adds before it removes, so that the role never lacks a scope both sets name. Entries refused or
   * still waiting do not hold the rest back: what is refused is taken away now, and only the scopes of
   * an API resource an entry waits for are left as they are until it can be resolved.
   */
  private async convergeScopes(roleId: string, changes: string[]): Promise<HeldScope[]> {
    const { scopes: desired, refused, waiting } = await this.desiredScopes();
    const held = await this.heldScopes(roleId);
    const kept = held.filter((s) => waiting?.indicators.has(s.resource)).map((s) => s.id);
    const plan = planRoles(
      held.map((s) => s.id),
      [...desired.map((s) => s.id), ...kept],
    );
    if (plan.add) {
      try {
        await this.logto.assignRoleScopes(roleId, plan.add);
      } catch (error) {
        // Linked meanwhile (nothing is linked when Logto refuses): read again next pass.
        if (error instanceof LogtoApiError && error.code === 'role.scope_exists') {
          throw new ReconcileStop('LogtoRejected', 'a scope was linked to the role meanwhile; read again', {
            retry: true,
          });
        }
        throw error;
      }
      changes.push(`${plan.add.length} scope(s) added`);
    }
    for (const scopeId of plan.remove)
      await ignoreNotFound(() => this.logto.deleteRoleScope(roleId, scopeId));
    if (plan.remove.length > 0) changes.push(`${plan.remove.length} scope(s) removed`);
    const stop = refused ?? waiting?.stop;
    if (stop) {
      if (changes.length > 0) this.deps.events.record(this.resource, 'Normal', 'Updated', changes.join(', '));
      throw stop;
    }
    return desired;
  }

  /**
   * The scopes the spec names, with their ids in Logto. Another namespace's LogtoApiResource counts
   * only when a LogtoGrant of that namespace gives this one those scopes, checked before it is looked
   * at: a refusal tells nothing about what that namespace has. Refused entries are left out (the role
   * loses their scopes: a grant taken back takes them away); entries whose API resource or scope is
   * not there yet wait, holding what the role has of that API resource. Both are reported once the
   * rest converged, a refusal first.
   */
  private async desiredScopes(): Promise<{
    scopes: HeldScope[];
    refused?: ReconcileStop;
    waiting?: { stop: ReconcileStop; indicators: Set<string> };
  }> {
    const { namespace } = this.resource.metadata;
    const desired = new Map<string, HeldScope>();
    let refused: ReconcileStop | undefined;
    let waiting: { stop: ReconcileStop; indicators: Set<string> } | undefined;
    const wait = (stop: ReconcileStop, indicator?: string) => {
      waiting ??= { stop, indicators: new Set() };
      if (indicator) waiting.indicators.add(indicator);
    };
    for (const [index, entry] of (this.resource.spec.scopes ?? []).entries()) {
      const owner = {
        namespace: entry.apiResourceRef.namespace ?? namespace,
        name: entry.apiResourceRef.name,
      };
      const field = `spec.scopes[${index}]`;
      const what = `LogtoApiResource ${owner.namespace}/${owner.name}`;
      if (!this.deps.declarations.mayUseScopes(namespace, { ...owner, uid: '' }, entry.scopes)) {
        refused ??= new ReconcileStop(
          'NotGranted',
          `${field}: ${what} is not this namespace's, and no LogtoGrant of namespace ${owner.namespace} gives ` +
            `this namespace its scopes ${entry.scopes.map((s) => `"${s}"`).join(', ')}`,
          { recheckAfterMs: 5 * 60_000 },
        );
        continue;
      }
      const api = this.deps.declarations.sources.apiResource(owner.namespace, owner.name);
      if (api && observesOnly(api)) {
        // Observing is a read right (the adoption rules): it gives no scopes to hand out in a role.
        refused ??= new ReconcileStop(
          'InvalidSpec',
          `${field}: ${what} only observes its API resource; a role holds scopes of API resources that ` +
            'a LogtoApiResource manages',
        );
        continue;
      }
      const resourceId = api?.status?.resourceId;
      if (!api || !resourceId || api.metadata.deletionTimestamp) {
        wait(
          new ReconcileStop('ApiResourceNotReady', `${field}: ${what} has no API resource in Logto yet`, {
            recheckAfterMs: 30_000,
          }),
          api?.spec.indicator,
        );
        continue;
      }
      if (api.status?.connection !== this.connection.key) {
        refused ??= new ReconcileStop(
          'InvalidSpec',
          `${field}: ${what} goes through another connection than this role; a role holds scopes of its own tenant`,
        );
        continue;
      }
      const scopes = await listAll('list_resource_scopes', (page, pageSize) =>
        this.logto.listResourceScopesPage(resourceId, { page, page_size: pageSize }),
      );
      for (const name of entry.scopes) {
        const scope = scopes.find((s) => s.name === name);
        if (!scope) {
          wait(
            new ReconcileStop(
              'ScopeNotFound',
              `${field}: API resource ${api.spec.indicator} has no scope "${name}" (yet)`,
              { recheckAfterMs: 30_000 },
            ),
            api.spec.indicator,
          );
          continue;
        }
        desired.set(scope.id, { resource: api.spec.indicator, name, id: scope.id });
      }
    }
    return {
      scopes: [...desired.values()],
      ...(refused ? { refused } : {}),
      ...(waiting ? { waiting } : {}),
    };
  }
}
