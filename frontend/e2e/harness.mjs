// Starts the real Ferry binary (built with -tags dev) under Xvfb with a fresh history, and
// a headless Debian Chromium pointed at its dev server: the page calls the real Go methods
// over the Wails websocket. Everything started here is stopped by stop(), by process id.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const artifacts = join(root, 'test-artifacts')

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.on('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => ok(port))
    })
  })
}

async function waitForHttp(url, child, ms) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`ferry-dev exited with ${child.exitCode}`)
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${url} did not answer within ${ms} ms`)
}

/** start launches the app and a browser page on it. */
export async function start() {
  const bin = process.env.FERRY_DEV_BIN ?? join(root, 'build/bin/ferry-dev')
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run make build-dev first`)
  mkdirSync(artifacts, { recursive: true })
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'))
  const port = await freePort()
  const log = []
  const app = spawn(
    'xvfb-run',
    [
      '-a',
      '-s',
      '-screen 0 1280x900x24',
      bin,
      '-assetdir',
      join(root, 'frontend/dist'),
      '-devserver',
      `127.0.0.1:${port}`,
      '-loglevel',
      'Warning',
    ],
    {
      cwd: root,
      detached: true, // own process group: stop() ends xvfb-run, Xvfb and Ferry together
      env: { ...process.env, FERRY_DATA_DIR: dataDir, FERRY_KEYRING: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  app.stdout.on('data', (d) => log.push(String(d)))
  app.stderr.on('data', (d) => log.push(String(d)))
  let browser
  const stop = async () => {
    await browser?.close().catch(() => {})
    if (app.exitCode === null) {
      try {
        process.kill(-app.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(-app.pid, 'SIGKILL')
          } catch {
            // already gone
          }
          r()
        }, 3000)
        app.once('exit', () => {
          clearTimeout(t)
          r()
        })
      })
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    const url = `http://127.0.0.1:${port}/`
    await waitForHttp(url, app, 60_000)
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } })
    const page = await context.newPage()
    const consoleErrors = []
    // Errors thrown by the Wails dev bridge itself (/wails/ipc.js) are not Ferry's.
    page.on('pageerror', (e) => !/\/wails\//.test(e.stack ?? '') && consoleErrors.push(String(e)))
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()))
    await page.goto(url)
    return { page, stop, log, consoleErrors, dataDir }
  } catch (e) {
    await stop()
    throw new Error(`${e.message}\n--- ferry-dev output ---\n${log.join('')}`)
  }
}

/** shot saves a full-window screenshot to test-artifacts/NAME.png. */
export async function shot(page, name) {
  await page.waitForTimeout(400) // let modal and drawer transitions finish
  return page.screenshot({ path: join(artifacts, `${name}.png`) })
}
