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
import { Worker } from 'node:worker_threads'
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
  await Promise.allSettled([vite?.close(), renderer?.worker.terminate(),
                            new Promise((done) => httpServer.close(done))])
  if (!fdMatch && !tcpMatch) fs.rmSync(target, { force: true })
  process.exit(0)
}
// Registered before Vite starts, so a stop during start-up is clean too.
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))

// Errors of the preview, one JSON line each, for the pool to relay as preview_error events:
// compile errors as Vite meets them, runtime errors as a browser showing the page reports them.
function report(kind, detail) {
  process.stdout.write(`PAYNTO_PREVIEW_ERROR ${JSON.stringify({ kind, ...detail })}\n`)
}
// A file of the site as the model named it (src/App.jsx), never a path of the host.
function workspacePath(file) {
  if (!file) return null
  const rel = path.relative(here, String(file).split('?')[0])
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(String(file)) : rel
}
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g
function describe(err) {
  return {
    message: String(err?.message ?? err).replace(ANSI, '').slice(0, 4000),
    file: workspacePath(err?.id ?? err?.loc?.file),
    line: err?.loc?.line ?? null,
    column: err?.loc?.column ?? null,
    frame: String(err?.frame ?? '').replace(ANSI, '').slice(0, 2000),
    plugin: err?.plugin ?? null,
  }
}
// Runs first in the page: reports uncaught errors and failed HMR updates over the HMR socket.
const REPORTER = `
if (import.meta.hot) {
  const send = (kind, message, stack) => import.meta.hot.send('paynto:preview-error', {
    kind, message: String(message ?? '').slice(0, 2000), stack: String(stack ?? '').slice(0, 4000),
    url: location.pathname,
  })
  addEventListener('error', (e) => send('runtime', e.message, e.error && e.error.stack))
  addEventListener('unhandledrejection', (e) =>
    send('runtime', (e.reason && e.reason.message) || e.reason, e.reason && e.reason.stack))
  import.meta.hot.on('vite:error', (p) => send('compile', p.err && p.err.message, p.err && p.err.stack))
}
`
// The reporter is a virtual module: Vite gives it import.meta.hot (an inline script would not).
const REPORTER_ID = 'virtual:paynto-reporter'
const errorReporter = {
  name: 'paynto-preview-errors',
  resolveId(id) {
    return id === REPORTER_ID ? `\0${REPORTER_ID}` : null
  },
  load(id) {
    return id === `\0${REPORTER_ID}` ? REPORTER : null
  },
  transformIndexHtml() {
    const src = `${process.env.PAYNTO_BASE || '/'}@id/__x00__${REPORTER_ID}`
    return [{ tag: 'script', attrs: { type: 'module', src }, injectTo: 'head-prepend' }]
  },
  configureServer(server) {
    // Vite logs every module it fails to compile (it does not pass the error on in middleware
    // mode): report those as they happen.
    const logError = server.config.logger.error
    server.config.logger.error = (msg, options) => {
      if (options?.error) report('compile', describe(options.error))
      logError(msg, options)
    }
    server.ws.on('paynto:preview-error', (data) => {
      if (!data || typeof data !== 'object') return
      report(data.kind === 'compile' ? 'compile' : 'runtime', {
        message: String(data.message ?? '').slice(0, 2000),
        stack: String(data.stack ?? '').slice(0, 4000),
        url: String(data.url ?? '').slice(0, 500),
      })
    })
  },
}

vite = await createServer({
  plugins: [errorReporter],
  root: here,
  configFile: path.join(here, 'vite.config.js'),
  // Import the config as is: the default loader bundles it into node_modules/.vite-temp, which
  // is read-only in a sandbox.
  configLoader: 'native',
  appType: 'spa',
  // The HMR websocket answers on the same server (and socket) as the page.
  server: { middlewareMode: true, ws: { server: httpServer } },
})
// GET <base>__paynto/check?path=src/App.jsx&path=...: compile those modules now and answer
// {"errors": [...]}, so an apply can say whether what it wrote compiles, without a browser.
// With &render=1, when they all compile, the app is also rendered once (as __paynto/render
// does, below) and the answer has its verdict under "render": one question instead of two.
const checkPath = `${process.env.PAYNTO_BASE || '/'}__paynto/check`
async function check(req, res) {
  const url = new URL(req.url, 'http://localhost')
  const errors = []
  for (const rel of url.searchParams.getAll('path').slice(0, 200)) {
    const moduleUrl = `/${rel.replace(/^\/+/, '')}`
    try {
      // Compile what is on disk now, not a result cached before the file changed.
      const env = vite.environments.client
      const cached = await env.moduleGraph.getModuleByUrl(moduleUrl)
      if (cached) env.moduleGraph.invalidateModule(cached)
      await env.transformRequest(moduleUrl)
    } catch (err) {
      errors.push({ path: rel, ...describe(err) })
    }
  }
  const answer = { errors }
  if (url.searchParams.get('render') === '1' && errors.length === 0) {
    answer.render = await renderOnce()
  }
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify(answer))
}

// GET <base>__paynto/alive: the pool's health check before each job on the sandbox. It answers
// 200 when this server answers and the site's index.html is there, as GET <base> would, but
// without running the page through Vite's HTML transform (about 6 ms of CPU each time).
const alivePath = `${process.env.PAYNTO_BASE || '/'}__paynto/alive`
function alive(req, res) {
  const ok = fs.existsSync(path.join(here, 'index.html'))
  res.statusCode = ok ? 200 : 503
  res.end(ok ? 'ok' : 'index.html is missing')
}

// GET <base>__paynto/settle?path=...: a file replaced twice in quick succession can slip past
// the file watcher (it re-attaches to the new file after each replace), leaving a stale module
// served. The pool asks here shortly after each write; a file whose change the watcher did not
// report is announced to Vite now.
const settlePath = `${process.env.PAYNTO_BASE || '/'}__paynto/settle`
const reported = new Map()
vite.watcher.on('all', (event, file) => {
  if (event !== 'add' && event !== 'change') return
  try {
    reported.set(file, fs.statSync(file).mtimeMs)
  } catch {}
})
function settle(req, res) {
  const url = new URL(req.url, 'http://localhost')
  let announced = 0
  for (const rel of url.searchParams.getAll('path').slice(0, 500)) {
    const file = path.join(here, rel)
    if (!file.startsWith(`${here}${path.sep}`)) continue
    try {
      const mtime = fs.statSync(file).mtimeMs
      if (reported.get(file) === mtime) continue
      reported.set(file, mtime)
      vite.watcher.emit('change', file)
      announced++
    } catch {}
  }
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ announced }))
}

// GET <base>__paynto/render: render the app once the way the server side would (Vite's SSR
// loader, React's renderToString) and answer {"error": {...}} when that throws, so an error the
// first render in a browser would meet is found without a browser. It runs in a worker thread
// with a Vite of its own, started on the first request: an endless loop in the site's code
// is cut off after RENDER_TIMEOUT_MS by ending the worker, and the preview server never stalls.
// {"unavailable": reason} when no verdict could be had.
const renderPath = `${process.env.PAYNTO_BASE || '/'}__paynto/render`
const RENDER_TIMEOUT_MS = 5000
const RENDER_WORKER = `
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'
const { createServer } = await import(workerData.vite)
// React as Node loads it for the app's own (externalised) imports: one and the same copy.
const load = createRequire(workerData.root + '/package.json')
const react = load('react')
const dom = load('react-dom/server')
const server = await createServer({
  root: workerData.root, configFile: workerData.config, configLoader: 'native',
  appType: 'custom', logLevel: 'silent',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
})
parentPort.on('message', async (id) => {
  let error = null
  try {
    server.environments.ssr.moduleGraph.invalidateAll()
    const app = await server.ssrLoadModule('/src/App.jsx')
    dom.renderToString(react.createElement(app.default))
  } catch (err) {
    error = { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err).slice(0, 4000),
              stack: String(err?.stack ?? '').slice(0, 4000) }
  }
  parentPort.postMessage({ id, error })
})
parentPort.postMessage({ ready: true })
`
let renderer = null
let renderSeq = 0
function startRenderer() {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(RENDER_WORKER)}`), {
    workerData: { vite: import.meta.resolve('vite'), root: here,
                  config: path.join(here, 'vite.config.js') },
  })
  const state = { worker, pending: new Map() }
  state.ready = new Promise((resolve, reject) => {
    worker.on('message', (msg) => {
      if (msg?.ready) return resolve()
      state.pending.get(msg?.id)?.(msg)
      state.pending.delete(msg?.id)
    })
    worker.on('error', (err) => {
      reject(err)
      for (const done of state.pending.values()) done({ unavailable: String(err?.message ?? err) })
      state.pending.clear()
      if (renderer === state) renderer = null
    })
  })
  state.ready.catch(() => {})
  worker.unref()
  return state
}
// The renderer's Vite costs ~30 MB: a sandbox nobody changes for a minute lets it go.
const RENDER_IDLE_MS = 60000
let renderIdle = null
function releaseLater(state) {
  clearTimeout(renderIdle)
  renderIdle = setTimeout(() => {
    if (renderer === state && state.pending.size === 0) {
      renderer = null
      state.worker.terminate()
    }
  }, RENDER_IDLE_MS)
  renderIdle.unref()
}
async function renderOnce() {
  const state = (renderer ??= startRenderer())
  releaseLater(state)
  try {
    await state.ready
  } catch (err) {
    return { unavailable: String(err?.message ?? err) }
  }
  return new Promise((resolve) => {
    const id = ++renderSeq
    const timer = setTimeout(() => {
      state.pending.delete(id)
      if (renderer === state) renderer = null
      state.worker.terminate()
      resolve({ error: { name: 'Timeout', message: `rendering the app did not finish within ` +
        `${RENDER_TIMEOUT_MS / 1000} s: is there an endless loop in a component?` } })
    }, RENDER_TIMEOUT_MS)
    state.pending.set(id, (msg) => {
      clearTimeout(timer)
      releaseLater(state)
      resolve(msg.unavailable ? { unavailable: msg.unavailable } : { error: msg.error ?? null })
    })
    state.worker.postMessage(id)
  })
}

httpServer.on('request', (req, res) => {
  if (req.method === 'GET' && req.url?.split('?')[0] === alivePath) {
    alive(req, res)
    return
  }
  if (req.method === 'GET' && req.url?.split('?')[0] === renderPath) {
    renderOnce().then((result) => {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify(result))
    })
    return
  }
  if (req.method === 'GET' && req.url?.split('?')[0] === settlePath) {
    settle(req, res)
    return
  }
  if (req.method === 'GET' && req.url?.split('?')[0] === checkPath) {
    check(req, res).catch((err) => {
      res.statusCode = 500
      res.end(String(err))
    })
    return
  }
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
