// Small helpers shared by the end-to-end scripts.
import assert from 'node:assert/strict'

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** expectText polls a locator's text until it equals (or matches) want. */
export async function expectText(locator, want, ms = 10_000) {
  const until = Date.now() + ms
  let got
  while (Date.now() < until) {
    got = (await locator.textContent({ timeout: 1000 }).catch(() => null))?.trim()
    if (want instanceof RegExp ? want.test(got ?? '') : got === want) return got
    await sleep(150)
  }
  assert.fail(`expected ${want} but saw ${JSON.stringify(got)}`)
}

/** env returns a required environment variable set by the Go orchestrator (e2e/ui_test.go). */
export function env(name) {
  const v = process.env[name]
  if (v === undefined)
    throw new Error(`${name} is not set: run the browser tests through make e2e (e2e/ui_test.go)`)
  return v
}
