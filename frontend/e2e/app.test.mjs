// End-to-end: the real Ferry backend and SQLite history, driven through the real UI in
// headless Chromium. Screenshots of every screen go to test-artifacts/.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { shot, start } from './harness.mjs'

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

async function expectText(locator, want, ms = 10_000) {
  const until = Date.now() + ms
  let got
  while (Date.now() < until) {
    got = (await locator.textContent().catch(() => null))?.trim()
    if (want instanceof RegExp ? want.test(got ?? '') : got === want) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`expected ${want} but saw ${JSON.stringify(got)}`)
}

test('starts empty with three tabs at zero', async () => {
  await expectText(count('in_progress'), '0')
  await expectText(count('failed'), '0')
  await expectText(count('successful'), '0')
  await page.locator('[data-test="empty"]').waitFor()
  await shot(page, '01-empty')
})

test('the dialog shows one message per invalid field', async () => {
  await page.keyboard.press('Control+n')
  await dialog().waitFor()
  // The first field takes the focus: type without clicking.
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'userName')
  await page.keyboard.type('Jane Doe')
  await field('userEmail').locator('input').fill('not-an-email')
  await field('domain').locator('input').fill('http://example.com/blog')
  await field('oldUrl').locator('input').fill('old site')
  await field('newUrl').locator('input').fill('ftp:/nowhere')
  await page.locator('[data-test="create-migration"]').click()
  for (const path of [
    'userEmail',
    'service',
    'domain',
    'oldUrl',
    'newUrl',
    'destination.host',
    'destination.path',
  ]) {
    await feedback(path).waitFor({ timeout: 10_000 })
    const text = (await feedback(path).textContent()).trim()
    assert.ok(text.length > 5, `${path} has a message: ${text}`)
  }
  await expectText(feedback('userEmail'), /valid email/i)
  assert.equal(await feedback('userName').count(), 0, 'a valid field shows no message')
  await shot(page, '02-dialog-errors')
  await expectText(count('in_progress'), '0')
})

test('creating a migration through the dialog lists it in In Progress', async () => {
  await field('userEmail').locator('input').fill('jane@example.com')
  await field('service').locator('input').fill('Business 10GB')
  await field('domain').locator('input').fill('example.com')
  await field('oldUrl').locator('input').fill('http://old.example.com')
  await field('newUrl').locator('input').fill('https://www.example.com')
  await field('destination.host').locator('input').fill('sftp.new-host.example')
  await field('destination.user').locator('input').fill('jane')
  await field('destination.password').locator('input').fill('s3cret-Pass!')
  await field('destination.path').locator('input').fill('/home/jane/public_html')
  await field('destination.db.name').locator('input').fill('wp_example')
  await field('destination.db.user').locator('input').fill('wp_user')
  await field('destination.db.password').locator('input').fill('db-Pass-42')
  // Enter submits the form.
  await field('destination.db.password').locator('input').press('Enter')
  await dialog().waitFor({ state: 'hidden', timeout: 10_000 })
  await expectText(count('in_progress'), '1')
  const row = page.locator('tr[data-test^="row-"]')
  assert.equal(await row.count(), 1)
  const rowText = await row.textContent()
  assert.match(rowText, /Jane Doe/)
  assert.match(rowText, /Business 10GB/)
  assert.match(rowText, /example\.com/)
  await shot(page, '03-in-progress')
})

test('details show the migration and reveal a masked password', async () => {
  const id = (await page.locator('tr[data-test^="row-"]').getAttribute('data-test')).slice(4)
  await page.locator(`[data-test="action-show-${id}"]`).click()
  const modal = page.locator('[data-test="details-modal"]')
  await modal.waitFor()
  // A manual migration waiting for its files opens on Process Details: what to do now.
  await modal.locator('[data-test="process"]').waitFor()
  assert.match(await modal.locator('[data-test="process"]').textContent(), /wordpress-files\.zip/)
  await shot(page, '04-details-process')
  await modal.locator('.n-tabs-tab', { hasText: 'Steps' }).click()
  await modal.locator('[data-test="steps"]').waitFor()
  await expectText(
    modal.locator('[data-test="steps"] tbody tr').first().locator('td').nth(1),
    /Check destination/,
  )
  await shot(page, '05-details-steps')
  await modal.locator('.n-tabs-tab', { hasText: 'Destination Details' }).click()
  const secret = modal.locator('[data-test="secret-destination.password"]')
  await secret.waitFor()
  assert.match(await secret.textContent(), /••••/)
  assert.doesNotMatch(await secret.textContent(), /s3cret/)
  await secret.getByRole('button').click()
  await expectText(secret.locator('.value'), 's3cret-Pass!')
  await shot(page, '06-details-destination')
  await modal.locator('.n-tabs-tab', { hasText: 'Logs' }).click()
  await shot(page, '07-details-logs')
  await page.keyboard.press('Escape')
  await modal.waitFor({ state: 'hidden' })
})

test('deleting through the confirmation empties In Progress', async () => {
  const id = (await page.locator('tr[data-test^="row-"]').getAttribute('data-test')).slice(4)
  await page.locator(`[data-test="action-delete-${id}"]`).click()
  const confirm = page.locator('.confirm-dialog')
  await confirm.waitFor()
  assert.match(
    await confirm.textContent(),
    new RegExp(
      `Delete migration #${id} \\(example\\.com\\)\\? Its history, logs and local staging files are removed\\. Nothing on the source or destination servers is touched\\.`,
    ),
  )
  await shot(page, '08-confirm-delete')
  await confirm.getByRole('button', { name: 'Delete' }).click()
  await expectText(count('in_progress'), '0')
  await page.locator('[data-test="empty"]').waitFor()
  assert.equal(await page.locator('tr[data-test^="row-"]').count(), 0)
})

test('the page logged no errors', () => {
  assert.deepEqual(app.consoleErrors, [])
})
