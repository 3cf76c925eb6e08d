import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ClusterZone, Responder, DnsServer } from '@skiff/plugin-cluster-dns';
const z = new ClusterZone({ domain: 'cluster.local', ttl: 5 });
for (let i = 0; i < 1000; i++) z.setService({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'default' }, spec: { clusterIP: `10.96.${(i >> 8) + 1}.${i & 255}`, ports: [{ name: 'http', port: 80 }] } });
const srv = new DnsServer(new Responder(z), { listen: [{ host: '127.0.0.1', port: 0 }] });
await srv.start();
const port = srv.addresses[0].port;
writeFileSync('/tmp/dns-queries.txt', Array.from({ length: 1000 }, (_, i) => `svc-${i}.default.svc.cluster.local A`).join('\n') + '\n');
console.log('port', port);
if (process.argv[2] === 'serve') { await new Promise((r) => setTimeout(r, Number(process.argv[3] ?? 1e9))); await srv.stop(); }
