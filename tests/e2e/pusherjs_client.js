#!/usr/bin/env node
// The official pusher-js client (node build), for comparison benchmarks against our client.
//
//   node tests/e2e/pusherjs_client.js HOST PORT KEY CHANNEL EVENT N [TIMEOUT_S]
//
// Connects to ws://HOST:PORT/app/KEY (plain ws, protocol 7), subscribes to CHANNEL and prints
//   subscribed
// once pusher_internal:subscription_succeeded arrived (start publishing after that line), then
// counts EVENT on CHANNEL until N arrived and prints one JSON line and exits 0:
//   {"received":N,"first_ns":...,"last_ns":...}
// first_ns / last_ns: arrival of the first / Nth event, after pusher-js parsed it, from
// process.hrtime.bigint(): CLOCK_MONOTONIC on Linux, the same clock as Python's
// time.monotonic_ns(), so it compares with timestamps taken in another process.
// On TIMEOUT_S (default 60) it prints the same line with "timeout":true and exits 1. If the
// connection fails, or the server refuses with a 4000-4099 pusher:error (4001: unknown app key),
// or the subscription fails, it writes the reason to stderr and exits 2. Bad arguments: exit 64.
//
// Options (anywhere among the arguments; for benchmarks):
//   --stay   after the result line, disconnect but keep the process alive until stdin closes
//            (or SIGTERM), then exit with the same code: the parent can still read its CPU time
//            from /proc/<pid>/stat.
//   --every=K  also print a line after every K events, for the block of K just received:
//            {"block":B,"received":TOTAL,"first_ns":...,"last_ns":...} (B counts from 1), so
//            one client can time many bursts; the final line is printed as usual at N.
//   --print  also write each EVENT to stdout as one JSON line {"event":...,"data":...} (data as
//            pusher-js parsed it), the work `python -m app watch` does per event, for a CPU
//            comparison with equal output. These lines start with {"event".
// On SIGINT it prints the result line so far with "interrupted":true and exits 1 (a benchmark
// ends a run that lost events this way instead of waiting for TIMEOUT_S).
// The result line also carries "cpu_us": user+system CPU microseconds of this process
// (process.cpuUsage()) at the result, and "cpu_subscribed_us" the same at the "subscribed" line.
'use strict';

const Pusher = require('pusher-js');

function usage(msg) {
  process.stderr.write(
    `${msg}\nusage: pusherjs_client.js [--stay] [--every=K] [--print] HOST PORT KEY CHANNEL EVENT N [TIMEOUT_S]\n`,
  );
  process.exit(64);
}

const argv = process.argv.slice(2);
let stay = false;
let every = 0;
let printEvents = false;
for (const option of argv.filter((a) => a.startsWith('--'))) {
  if (option === '--stay') {
    stay = true;
  } else if (option === '--print') {
    printEvents = true;
  } else if (option.startsWith('--every=')) {
    every = Number(option.slice('--every='.length));
    if (!Number.isInteger(every) || every < 1) usage('--every=K needs a positive integer');
  } else {
    usage(`unknown option ${option}`);
  }
}
const [host, portArg, key, channelName, eventName, countArg, timeoutArg] = argv.filter(
  (a) => !a.startsWith('--'),
);
if (!eventName || !countArg) usage('missing arguments');
const port = Number(portArg);
const want = Number(countArg);
const timeoutS = timeoutArg === undefined ? 60 : Number(timeoutArg);
if (!Number.isInteger(port) || !Number.isInteger(want) || want < 1 || !(timeoutS > 0)) {
  usage('PORT and N must be positive integers, TIMEOUT_S a positive number');
}

let received = 0;
let firstNs = null;
let lastNs = null;
let done = false;
let cpuSubscribedUs = null;

function cpuUs() {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function finish(code, extra) {
  if (done) return;
  done = true;
  const result = {
    received,
    first_ns: firstNs === null ? null : Number(firstNs),
    last_ns: lastNs === null ? null : Number(lastNs),
    cpu_us: cpuUs(),
    cpu_subscribed_us: cpuSubscribedUs,
    ...extra,
  };
  try {
    pusher.disconnect();
  } catch (e) {
    // exiting anyway
  }
  process.stdout.write(JSON.stringify(result) + '\n', () => {
    if (!stay) process.exit(code);
    clearTimeout(timer);
    const leave = () => process.exit(code);
    process.stdin.on('end', leave);
    process.stdin.on('error', leave);
    process.on('SIGTERM', leave);
    process.stdin.resume();
  });
}

const pusher = new Pusher(key, {
  cluster: 'mt1', // required by the type, unused with wsHost
  wsHost: host,
  wsPort: port,
  forceTLS: false,
  enabledTransports: ['ws'],
  disableStats: true,
});

pusher.connection.bind('state_change', (states) => {
  if (states.current === 'failed' || states.current === 'unavailable') {
    process.stderr.write(`pusher-js connection ${states.current}\n`);
    if (!done) {
      done = true;
      process.exit(2);
    }
  }
});
pusher.connection.bind('error', (err) => {
  process.stderr.write(`pusher-js error: ${JSON.stringify(err)}\n`);
  // 4000-4099: the server refuses for good (e.g. 4001 unknown app key); pusher-js just waits.
  const code = err && err.error && err.error.data && err.error.data.code;
  if (code >= 4000 && code <= 4099 && !done) {
    done = true;
    process.exit(2);
  }
});

const channel = pusher.subscribe(channelName);
channel.bind('pusher:subscription_succeeded', () => {
  cpuSubscribedUs = cpuUs();
  process.stdout.write('subscribed\n');
});
channel.bind('pusher:subscription_error', (status) => {
  process.stderr.write(`subscription error: ${JSON.stringify(status)}\n`);
  done = true;
  process.exit(2);
});
let blockFirstNs = null;
channel.bind(eventName, (data) => {
  const now = process.hrtime.bigint();
  if (printEvents) process.stdout.write(JSON.stringify({ event: eventName, data }) + '\n');
  if (firstNs === null) firstNs = now;
  lastNs = now;
  received += 1;
  if (every) {
    if (blockFirstNs === null) blockFirstNs = now;
    if (received % every === 0) {
      const block = {
        block: received / every,
        received,
        first_ns: Number(blockFirstNs),
        last_ns: Number(now),
      };
      process.stdout.write(JSON.stringify(block) + '\n');
      blockFirstNs = null;
    }
  }
  if (received >= want) finish(0, {});
});

const timer = setTimeout(() => finish(1, { timeout: true }), timeoutS * 1000);
process.on('SIGINT', () => finish(1, { interrupted: true }));
