import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlaneCertificates } from './certs.js';
import { kubeGet } from './https.js';
import { adminKubeConfig } from './kubeconfig.js';
import { launchOnFreePorts } from './launch.js';
import type { ManagedProcess, ProcessSet } from './process.js';

export interface ApiServer {
  proc: ManagedProcess;
  server: string;
  kubeConfig: KubeConfig;
}

export interface ApiServerOptions {
  binary: string;
  dir: string;
  processes: ProcessSet;
  etcdUrl: string;
  certs: ControlPlaneCertificates;
  timeoutMs: number;
}

/** kube-apiserver on 127.0.0.1 only, client-certificate authentication, RBAC; ready when /readyz says so. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { certs } = options;
  const kubeConfigFor = (port: number | undefined): KubeConfig =>
    adminKubeConfig(`https://127.0.0.1:${port}`, certs.pem);
  const { proc, ports } = await launchOnFreePorts({
    name: 'kube-apiserver',
    portCount: 1,
    timeoutMs: options.timeoutMs,
    spawn: ([port]) =>
      options.processes.spawn({
        name: 'kube-apiserver',
        command: options.binary,
        args: [
          `--etcd-servers=${options.etcdUrl}`,
          `--secure-port=${port}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--cert-dir=${join(options.dir, 'apiserver-certs')}`,
          `--tls-cert-file=${certs.apiserverCert}`,
          `--tls-private-key-file=${certs.apiserverKey}`,
          `--client-ca-file=${certs.caCert}`,
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${certs.serviceAccountPublicKey}`,
          `--service-account-signing-key-file=${certs.serviceAccountKey}`,
          // No controller-manager creates the `default` ServiceAccounts, so this plugin would refuse
          // every Pod (envtest does the same).
          '--disable-admission-plugins=ServiceAccount',
          '--allow-privileged=true',
        ],
        logPath: join(options.dir, 'kube-apiserver.log'),
      }),
    ready: async ([port]) => {
      const response = await kubeGet(kubeConfigFor(port), '/readyz');
      return response.status === 200;
    },
  });
  return { proc, server: `https://127.0.0.1:${ports[0]}`, kubeConfig: kubeConfigFor(ports[0]) };
}
