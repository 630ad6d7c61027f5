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

/**
 * recordToasts keeps every toast the page shows in window.__toasts, so a test can check a
 * toast that newer ones already pushed out of the three-toast stack (other migrations
 * finishing emit their own toasts at any moment).
 */
export async function recordToasts(page) {
  await page.evaluate(() => {
    if (window.__toastObserver) return
    window.__toasts = []
    const seen = () => {
      for (const el of document.querySelectorAll('.n-message')) {
        const t = el.textContent?.trim()
        if (t && !window.__toasts.includes(t)) window.__toasts.push(t)
      }
    }
    window.__toastObserver = new MutationObserver(seen)
    window.__toastObserver.observe(document.body, {
      childList: true,
      subtree: true,
      characterData: true,
    })
  })
}

/** toastSeen waits until a toast matching want has been shown (see recordToasts). */
export async function toastSeen(page, want, ms = 15_000) {
  const until = Date.now() + ms
  let all = []
  while (Date.now() < until) {
    all = await page.evaluate(() => window.__toasts ?? [])
    const hit = all.find((t) => want.test(t))
    if (hit) return hit
    await sleep(150)
  }
  assert.fail(`no toast matched ${want}; shown: ${JSON.stringify(all)}`)
}

/** until polls fn until it returns true, then fails with msg after ms. */
export async function until(fn, msg, ms = 10_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await fn()) return
    await sleep(150)
  }
  assert.fail(msg)
}
