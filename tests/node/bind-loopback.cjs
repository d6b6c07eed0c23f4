// Preload (`node --require ./bind-loopback.cjs ...`) that forces every
// server.listen() in the process onto 127.0.0.1, so reference servers that
// bind all interfaces by default stay reachable from this machine only.
'use strict';
const net = require('node:net');

const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, callback])
    if (typeof args[1] === 'string') {
      args[1] = '127.0.0.1';
    } else {
      args.splice(1, 0, '127.0.0.1');
    }
  } else if (first && typeof first === 'object' && !Array.isArray(first) && first.path === undefined) {
    if (first.fd === undefined && first.handle === undefined && first._handle === undefined) {
      args[0] = { ...first, host: '127.0.0.1' };
    }
  } else if (first === undefined || typeof first === 'function') {
    // listen() / listen(callback): random port on all interfaces.
    args.unshift(0, '127.0.0.1');
  }
  return originalListen.apply(this, args);
};
