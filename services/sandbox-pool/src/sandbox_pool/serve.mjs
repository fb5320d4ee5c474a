// Paynto's preview server: Vite in middleware mode inside a plain Node http server that listens
// on a Unix socket instead of a TCP port, so the sandbox needs no network at all.
//
//   node serve.mjs <socket-path>   listen on a new socket at that path
//   node serve.mjs fd:<n>          listen on an already bound socket inherited as descriptor n
//   node serve.mjs tcp:<port>      listen on a TCP port on all interfaces (hosted sandboxes,
//                                  where the provider's own VM is the isolation)
//
// Prints PAYNTO_READY on stdout once listening; closes Vite and exits cleanly on SIGTERM or SIGINT.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'

const target = process.argv[2]
if (!target) {
  console.error('usage: node serve.mjs <socket-path> | fd:<n> | tcp:<port>')
  process.exit(2)
}
const here = path.dirname(fileURLToPath(import.meta.url))
const fdMatch = /^fd:(\d+)$/.exec(target)
const tcpMatch = /^tcp:(\d+)$/.exec(target)

const httpServer = http.createServer()
let vite = null

let stopping = false
async function stop(reason) {
  if (stopping) return
  stopping = true
  console.log(`paynto: stopping (${reason})`)
  const timer = setTimeout(() => process.exit(1), 5000)
  timer.unref()
  httpServer.closeAllConnections()
  await Promise.allSettled([vite?.close(), new Promise((done) => httpServer.close(done))])
  if (!fdMatch && !tcpMatch) fs.rmSync(target, { force: true })
  process.exit(0)
}
// Registered before Vite starts, so a stop during start-up is clean too.
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))

vite = await createServer({
  root: here,
  configFile: path.join(here, 'vite.config.js'),
  // Import the config as is: the default loader bundles it into node_modules/.vite-temp, which
  // is read-only in a sandbox.
  configLoader: 'native',
  appType: 'spa',
  // The HMR websocket answers on the same server (and socket) as the page.
  server: { middlewareMode: true, ws: { server: httpServer } },
})
httpServer.on('request', (req, res) => {
  vite.middlewares(req, res, () => {
    res.statusCode = 404
    res.end('Not found')
  })
})

httpServer.on('error', (err) => {
  console.error(`paynto: server error: ${err.message}`)
  process.exit(1)
})
if (fdMatch) {
  httpServer.listen({ fd: Number(fdMatch[1]) }, ready)
} else if (tcpMatch) {
  httpServer.listen(Number(tcpMatch[1]), '0.0.0.0', ready)
} else {
  // A socket file left by a killed run would make listen() fail with EADDRINUSE.
  fs.rmSync(target, { force: true })
  httpServer.listen(target, ready)
}

function ready() {
  process.stdout.write('PAYNTO_READY\n')
}
