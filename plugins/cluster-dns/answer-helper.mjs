// An answering helper of the cluster DNS server (server.ts): a process of its own that reads the
// server's UDP socket too. The kernel hands each datagram to whichever process reads first, so
// queries are answered on another core as well, and while the hypervisor holds one vCPU up the
// other keeps answering (as CoreDNS does with its threads).
//
// It knows no zone. It answers only with answers the server has sent it, kept by the query's bytes
// past its ID (the ID is patched in); any other query goes to the server over IPC, which answers
// the client itself and sends the answer here when it may be kept. Every answer carries the
// generation of the zone it came from; a new generation (a zone change, a new server taking the
// socket over) drops the older answers, and an answer of an older generation is never kept. The
// server's zone changes reach here over IPC: within a millisecond, on top of the seconds a change
// takes to reach the server's zone from the API. Every second it tells the server how many queries
// it answered (and how many were zone answers, how many truncated), for the server's stats.
//
// Plain JavaScript beside the bundle (scripts/build.mjs copies it), started with no loader.
let socket;
let generation = '';
let maxEntries = 100_000;
/** query bytes past the ID (latin1) -> { response, expires (ms; undefined: until the zone changes) } */
const answers = new Map();
/** what this helper answered since it last told the server (the server's stats count them) */
const counted = { queries: 0, zoneHits: 0, truncated: 0 };

process.on('message', (m, handle) => {
  if (m.t === 'socket') {
    socket = handle;
    generation = m.generation;
    maxEntries = m.maxEntries;
    socket.on('error', () => {}); // a failed send (ICMP unreachable) must not end the helper
    socket.on('message', answer);
  } else if (m.t === 'answer') {
    if (m.generation !== generation) return;
    if (answers.size >= maxEntries) answers.clear();
    // kept with how the server counted it: a zone answer (no expiry) or an upstream one; truncated (TC bit)
    answers.set(m.key, { response: m.response, expires: m.expires, zone: m.expires === undefined, truncated: (m.response[2] & 0x02) !== 0 });
  } else if (m.t === 'generation') {
    generation = m.generation;
    answers.clear();
  }
});
// the server is gone (stopped, crashed): so is the helper
process.on('disconnect', () => process.exit(0));
// Only now may the socket come: a socket received while this module was still loading would read
// datagrams with no listener to answer them, and drop them.
process.send({ t: 'hello' });
// every second, what was answered here, for the server's runtime stats
setInterval(() => {
  if (!counted.queries || !process.connected) return;
  process.send({ t: 'stats', ...counted });
  counted.queries = counted.zoneHits = counted.truncated = 0;
}, 1000).unref();

function answer(msg, rinfo) {
  if (msg.length < 12) return;
  const key = msg.toString('latin1', 2);
  const a = answers.get(key);
  if (a && (a.expires === undefined || a.expires > Date.now())) {
    const out = Buffer.from(a.response);
    out[0] = msg[0];
    out[1] = msg[1];
    socket.send(out, rinfo.port, rinfo.address);
    counted.queries++;
    if (a.zone) counted.zoneHits++;
    if (a.truncated) counted.truncated++;
    return;
  }
  process.send({ t: 'query', msg, port: rinfo.port, address: rinfo.address });
}
