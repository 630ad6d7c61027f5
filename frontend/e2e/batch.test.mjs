// End-to-end: a batch through the window. The orchestrator (e2e/ui_test.go) writes a sites
// file with three sites moving from its SFTP source to their own FTP folders and databases
// (E2E_BATCH_SITES, also the answer of the Choose file… dialog in the dev build) and one
// with two bad rows (E2E_BATCH_BAD, dropped on the window here).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, test } from 'node:test'
import { artifacts, shot, start } from './harness.mjs'
import { env, expectText, recordToasts, sleep, toastSeen, until } from './helpers.mjs'

let app
let page
let batchName = ''

before(async () => {
  env('E2E_BATCH_SITES')
  app = await start()
  page = app.page
  page.setDefaultTimeout(15_000)
  await page.getByText('WordPress migrations').waitFor()
  await recordToasts(page)
})

afterEach(async () => {
  for (let i = 0; i < 3; i++) {
    if (!(await page.locator('.n-modal').count())) break
    await page.keyboard.press('Escape')
    await sleep(300)
  }
})

after(async () => {
  await app?.stop()
})

const dialog = () => page.locator('[data-test="new-batch-dialog"]')
const input = (name) => dialog().locator(`input[name="${name}"]`)
const bar = () => page.locator('[data-test="batch-summary"]')
const startButton = () => dialog().locator('[data-test="start-batch"]')
const chip = async (what) =>
  Number((await bar().locator(`[data-test="batch-${what}"]`).textContent()).split(' ')[0])

test('a dropped sites file with bad rows: each problem at its row and column, Start disabled', async () => {
  await page.locator('[data-test="new-batch"]').click()
  await dialog().waitFor()
  await page.evaluate((p) => window.runtime.EventsEmit('files:dropped', [p]), env('E2E_BATCH_BAD'))
  await dialog().locator('[data-test="batch-preview"]').waitFor()
  await expectText(dialog().locator('[data-test="sites-path"]'), 'old-host-bad.csv')
  await dialog().locator('[data-line="3"] [data-col="new_url"].cell--bad').waitFor()
  await dialog().locator('[data-line="4"] [data-col="dest_db"].cell--bad').waitFor()
  const problems = (await dialog().locator('[data-test="batch-problem"]').allTextContents()).map(
    (p) => p.trim().replace(/\s+/g, ' '),
  )
  assert.ok(
    problems.some((p) => p.startsWith('Line 3, column new_url:')),
    problems.join('\n'),
  )
  assert.ok(
    problems.some((p) => /^Line 4, column dest_db: .*also on line 2/.test(p)),
    problems.join('\n'),
  )
  assert.equal(await dialog().locator('[data-line="2"] .cell--bad').count(), 0, 'line 2 is fine')
  // The shared settings are empty yet: their problems show under their fields.
  await expectText(
    dialog().locator('[data-field="source.host"] .n-form-item-feedback--error'),
    /.+/,
  )
  assert.ok(await startButton().isDisabled(), 'Start is disabled while there are problems')
  await shot(page, '39-batch-preview-problems')
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'hidden' })
})

test('the shared settings once, Choose file…, a clean preview, Start: the summary bar follows the batch', async () => {
  await page.locator('[data-test="new-batch"]').click()
  await dialog().waitFor()
  await input('source.host').fill(env('E2E_SFTP_HOST'))
  // Through the throttled proxy, so the batch runs long enough to be watched.
  await input('source.port').fill(env('E2E_SLOW_PORT'))
  await input('source.user').fill(env('E2E_SFTP_USER'))
  await input('source.password').fill(env('E2E_SFTP_PASS'))
  await input('source.db.host').fill(env('E2E_DB_HOST'))
  await input('source.db.port').fill(env('E2E_DB_PORT'))
  await input('source.db.user').fill(env('E2E_DB_USER'))
  await input('source.db.password').fill(env('E2E_DB_PASS'))
  const dest = dialog().locator('[data-test="endpoint-form-destination"]')
  await dest.locator('[data-test="destination-protocol"]').click()
  await page.locator('.n-base-select-option', { hasText: 'FTP (unencrypted)' }).click()
  await input('destination.host').fill(env('E2E_FTP_HOST'))
  await input('destination.port').fill(env('E2E_FTP_PORT'))
  await input('destination.user').fill(env('E2E_FTP_USER'))
  await input('destination.password').fill(env('E2E_FTP_PASS'))
  await input('destination.db.host').fill(env('E2E_DB_HOST'))
  await input('destination.db.port').fill(env('E2E_DB_PORT'))
  await input('destination.db.user').fill(env('E2E_DB_USER'))
  await input('destination.db.password').fill(env('E2E_DB_PASS'))
  await dialog().locator('[data-test="choose-sites"]').click()
  await expectText(dialog().locator('[data-test="sites-path"]'), 'old-host.csv')
  await expectText(
    dialog().locator('[data-test="batch-preview-summary"]'),
    /3 sites · every row checked/,
  )
  await until(async () => !(await startButton().isDisabled()), 'Start enabled').catch(async (e) => {
    const why = await dialog()
      .locator(
        '.n-form-item-feedback--error, [data-test="batch-error"], [data-test="batch-problem-count"]',
      )
      .allTextContents()
    throw new Error(`${e.message}: ${why.join(' | ')}`)
  })
  assert.equal(await dialog().locator('[data-test="batch-problem"]').count(), 0)
  await expectText(startButton(), 'Start 3 migrations')
  await shot(page, '39-batch-preview')
  // Enter in a field starts, as in the other dialogs.
  await input('batchName').press('Enter')
  await dialog().waitFor({ state: 'hidden', timeout: 15_000 })
  const toast = await toastSeen(page, /Batch “.+” started: 3 migrations queued/)
  batchName = /“(.+)”/.exec(toast)[1]
  assert.equal(batchName, 'old-host')

  await bar().waitFor()
  assert.equal(await bar().getAttribute('data-batch'), 'old-host')
  await expectText(page.locator('[data-test="batch-filter"]'), /old-host/)
  await until(
    async () => (await page.locator('[data-test="batch-tag"]').count()) >= 1,
    'rows tagged with the batch',
    30_000,
  )
  await until(
    async () => (await chip('running')) + (await chip('done')) > 0,
    'a site of the batch runs',
    60_000,
  )
  await shot(page, '40-batch-running')

  // The time left is estimated once a site is done, while others still run.
  await until(async () => (await chip('done')) >= 1, 'a first site done', 240_000)
  if ((await chip('running')) + (await chip('waiting')) > 0) {
    await expectText(
      bar().locator('[data-test="batch-eta"]'),
      /ETA\s+(less than a minute|\d+ (min|h)).* left/,
    )
    await shot(page, '40-batch-running-eta')
  }
  await until(async () => (await chip('done')) === 3, 'all 3 sites done', 300_000)
  assert.equal(await chip('failed'), 0)
  assert.equal(await chip('waiting'), 0)
  await expectText(bar().locator('[data-test="batch-eta"]'), /nothing left to run/)
  assert.ok(await bar().locator('[data-test="batch-stop"]').isDisabled(), 'nothing to stop')
  assert.ok(await bar().locator('[data-test="batch-retry"]').isDisabled(), 'nothing to retry')
  await page.locator('[data-test="tab-successful"]').click()
  await until(
    async () => (await page.locator('[data-test="batch-tag"]').count()) === 3,
    'three tagged rows in Successful',
  )
  await shot(page, '41-batch-done')
  for (const n of [1, 2, 3]) {
    assert.ok(
      existsSync(join(env('E2E_DEST_ROOT'), `batch${n}`, 'wp-includes', 'version.php')),
      `site ${n} arrived`,
    )
  }
})

test('Export report saves the batch PDF with one line per site', async () => {
  await bar().locator('[data-test="batch-export"]').click()
  await page.locator('.n-dropdown-option', { hasText: 'PDF…' }).click()
  await toastSeen(page, /Report of 3 sites saved to .*ferry-batch-old-host\.pdf/)
  const pdf = join(env('E2E_EXPORT_DIR'), 'ferry-batch-old-host.pdf')
  await until(async () => existsSync(pdf), 'the PDF is on disk')
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString()
  for (const want of [
    'Batch report: old-host',
    'site1.example.org',
    'site2.example.org',
    'site3.example.org',
  ])
    assert.ok(text.includes(want), `${want} in the PDF`)
  assert.match(text, /Total\s+3 sites\s+3 ok/)
  execFileSync('pdftoppm', [
    '-png',
    '-r',
    '70',
    '-f',
    '1',
    '-l',
    '1',
    '-singlefile',
    pdf,
    join(artifacts, '42-batch-report'),
  ])
  assert.deepEqual(app.consoleErrors, [])
})
