import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// In Paynto's sandboxes node_modules is a read-only mount shared with other sites, so Vite's
// dependency cache (normally node_modules/.vite) goes to a private temp folder instead.
function cacheDir() {
  try {
    fs.accessSync('node_modules', fs.constants.W_OK)
    return 'node_modules/.vite'
  } catch {
    return path.join(os.tmpdir(), 'vite-cache')
  }
}

export default defineConfig({
  // The preview is served under a gateway prefix such as /preview/<id>/: with it as the base,
  // the page's script URLs and the HMR websocket path carry the prefix too.
  base: process.env.PAYNTO_BASE || '/',
  plugins: [react(), tailwindcss()],
  cacheDir: cacheDir(),
  logLevel: 'info',
  clearScreen: false,
  server: {
    // Requests arrive through Paynto's gateway under whatever host name it is served from.
    allowedHosts: true,
    // The HMR websocket shares the page's server and port (serve.mjs hands Vite that server),
    // so the gateway proxies one address for both.
    hmr: { overlay: true },
  },
})
