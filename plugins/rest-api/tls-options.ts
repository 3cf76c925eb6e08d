// TLS settings of the API server: TLS 1.2 and 1.3 only; for TLS 1.2, only forward-secret (ECDHE)
// AEAD suites, as kube-apiserver's secure default list (no CBC, no SHA-1 MACs, no static RSA key
// exchange). TLS 1.3's suites are all AEAD and are kept as Node has them.
const TLS12_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Options for https.createServer (merged into fastify's `https`). */
export const TLS_SERVER_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_SUITES, ...TLS12_SUITES].join(':'),
  honorCipherOrder: true,
} as const;
