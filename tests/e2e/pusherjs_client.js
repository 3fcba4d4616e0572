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
'use strict';

const Pusher = require('pusher-js');

function usage(msg) {
  process.stderr.write(`${msg}\nusage: pusherjs_client.js HOST PORT KEY CHANNEL EVENT N [TIMEOUT_S]\n`);
  process.exit(64);
}

const [host, portArg, key, channelName, eventName, countArg, timeoutArg] = process.argv.slice(2);
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

function finish(code, extra) {
  if (done) return;
  done = true;
  const result = {
    received,
    first_ns: firstNs === null ? null : Number(firstNs),
    last_ns: lastNs === null ? null : Number(lastNs),
    ...extra,
  };
  try {
    pusher.disconnect();
  } catch (e) {
    // exiting anyway
  }
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
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
  process.stdout.write('subscribed\n');
});
channel.bind('pusher:subscription_error', (status) => {
  process.stderr.write(`subscription error: ${JSON.stringify(status)}\n`);
  done = true;
  process.exit(2);
});
channel.bind(eventName, () => {
  const now = process.hrtime.bigint();
  if (firstNs === null) firstNs = now;
  lastNs = now;
  received += 1;
  if (received >= want) finish(0, {});
});

setTimeout(() => finish(1, { timeout: true }), timeoutS * 1000);
