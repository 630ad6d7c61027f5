// End-to-end: the empty app, the New migration form's validation and keyboard, and the
// Settings dialog, against the real Ferry backend in headless Chromium.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { shot, start } from './harness.mjs'
import { expectText } from './helpers.mjs'

let app
let page

before(async () => {
  app = await start()
  page = app.page
  await page.getByText('WordPress migrations').waitFor()
})

after(async () => {
  await app?.stop()
})

const count = (tab) => page.locator(`[data-test="count-${tab}"]`)
const dialog = () => page.locator('[data-test="new-migration-dialog"]')
const field = (path) => dialog().locator(`[data-field="${path}"]`)
const feedback = (path) => field(path).locator('.n-form-item-feedback--error')

test('starts empty with three tabs at zero', async () => {
  await expectText(count('in_progress'), '0')
  await expectText(count('failed'), '0')
  await expectText(count('successful'), '0')
  await page.locator('[data-test="empty"]').waitFor()
  assert.equal(await page.title(), 'Ferry')
  await shot(page, '01-empty')
})

test('Ctrl+N opens the form on the method choice; the server marks each invalid field', async () => {
  await page.keyboard.press('Control+n')
  await dialog().waitFor()
  await page.waitForFunction(() => document.activeElement?.closest('[data-choice="sftp"]'))
  await shot(page, '02-new-migration-sftp')
  await dialog().locator('input[name="userName"]').fill('Jane Doe')
  await field('userEmail').locator('input').fill('not-an-email')
  await field('domain').locator('input').fill('http://example.com/blog')
  await field('newUrl').locator('input').fill('ftp:/nowhere')
  await page.locator('[data-test="create-migration"]').click()
  for (const path of [
    'userEmail',
    'service',
    'domain',
    'newUrl',
    'source.host',
    'destination.host',
  ]) {
    await feedback(path).waitFor({ timeout: 10_000 })
    const text = (await feedback(path).textContent()).trim()
    assert.ok(text.length > 5, `${path} has a message: ${text}`)
  }
  await expectText(feedback('userEmail'), /valid email/i)
  assert.equal(await feedback('userName').count(), 0, 'a valid field shows no message')
  await shot(page, '03-dialog-errors')
  // Manual has no source: its fields go away, and so do their messages.
  await dialog().locator('[data-test="method-manual"]').click()
  assert.equal(await field('source.host').count(), 0)
  await shot(page, '04-new-migration-manual')
  assert.equal(await field('options.filesOverFtpOnly').count(), 0, 'Manual has no FTP source')
  // An FTP source offers to keep every file on FTP, unchecked.
  await dialog().locator('[data-test="method-ftp"]').click()
  const ftpOnly = field('options.filesOverFtpOnly')
  await ftpOnly.scrollIntoViewIfNeeded()
  await expectText(ftpOnly, /Fetch every file over FTP/)
  assert.equal(await ftpOnly.getAttribute('aria-checked'), 'false')
  await shot(page, '04b-new-migration-ftp-options')
  await page.keyboard.press('Escape')
  await dialog().waitFor({ state: 'hidden' })
  await expectText(count('in_progress'), '0')
})

test('"/" focuses the search box', async () => {
  await page.locator('body').click({ position: { x: 5, y: 300 } })
  await page.keyboard.press('/')
  await page.waitForFunction(() => document.activeElement?.id === 'migration-search')
  await page.keyboard.press('Escape')
})

test('Settings: the theme applies at once and is kept', async () => {
  await page.locator('[data-test="open-settings"]').click()
  const dlg = page.locator('[data-test="settings-dialog"]')
  await dlg.waitFor()
  assert.match(await dlg.locator('[data-test="data-dir"] input').inputValue(), /ferry-e2e-/)
  await dlg.getByText('Dark', { exact: true }).click()
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  await shot(page, '05-settings-dark')
  await dlg.locator('input[name="concurrentMigrations"]').fill('3')
  await dlg.locator('[data-test="settings-save"]').click()
  await dlg.waitFor({ state: 'hidden' })
  await page.reload()
  await page.getByText('WordPress migrations').waitFor()
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
  await shot(page, '06-empty-dark')
  await page.locator('[data-test="open-settings"]').click()
  await dlg.waitFor()
  assert.equal(await dlg.locator('input[name="concurrentMigrations"]').inputValue(), '3')
  await dlg.getByText('Light', { exact: true }).click()
  await dlg.locator('input[name="concurrentMigrations"]').fill('2')
  await dlg.locator('[data-test="settings-save"]').click()
  await dlg.waitFor({ state: 'hidden' })
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'light')
})

test('the page logged no errors', () => {
  assert.deepEqual(app.consoleErrors, [])
})
