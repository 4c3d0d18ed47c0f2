// kubeconfig files for the stand-in: the CA inline, a bearer token per user, namespace default.
import { stringify } from 'yaml';

export function kubeconfigFor(url: string, caPem: string, user: string, token: string): string {
  const cluster = 'kube-apiserver-stand-in';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: `${user}@${cluster}`, context: { cluster, user, namespace: 'default' } }],
    'current-context': `${user}@${cluster}`,
    preferences: {},
  });
}
