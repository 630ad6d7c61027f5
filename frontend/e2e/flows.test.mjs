// End-to-end migrations through the real UI: the Go orchestrator (e2e/ui_test.go) starts
// SFTP and FTP servers with a WordPress site, MariaDB databases and a control endpoint,
// and passes their addresses in E2E_* variables. Each test builds on the one before.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, afterEach, before, test } from 'node:test'
import { shot, start } from './harness.mjs'
import { env, expectText, recordToasts, sleep, toastSeen, until } from './helpers.mjs'

let app
let page
const ids = {}

before(async () => {
  env('E2E_SFTP_HOST') // fail at once, with the reason, when run without the orchestrator
  app = await start()
  page = app.page
  page.setDefaultTimeout(15_000)
  await page.getByText('WordPress migrations').waitFor()
  await recordToasts(page)
})

// A failed step must not leave a dialog open over the next test's table.
afterEach(async () => {
  for (let i = 0; i < 3; i++) {
    const open = await page.locator('.n-modal, .n-drawer').count()
    if (!open) break
    await page.keyboard.press('Escape')
    await sleep(300)
  }
})

after(async () => {
  await app?.stop()
})

const count = (tab) => page.locator(`[data-test="count-${tab}"]`)
const dialog = () => page.locator('[data-test="new-migration-dialog"]')
const input = (name) => dialog().locator(`input[name="${name}"]`)
const modal = () => page.locator('[data-test="details-modal"]')
const confirmDialog = () => page.locator('.confirm-dialog')
const row = (id) => page.locator(`tr[data-test="row-${id}"]`)

async function tab(name) {
  await page.locator(`[data-test="tab-${name}"]`).click()
  await sleep(300)
}

/** fillForm fills the New migration form for a method, a source port and a destination. */
async function fillForm({
  method,
  domain,
  sourcePort,
  dest,
  testSource = false,
  testDest = false,
}) {
  await page.locator('[data-test="new-migration"]').click()
  await dialog().waitFor()
  await dialog().locator(`[data-test="method-${method}"]`).click()
  await input('userName').fill('Zoë Admin')
  await input('userEmail').fill('zoe@example.com')
  await input('service').fill('Business 10GB')
  await input('domain').fill(domain)
  if (method !== 'manual') {
    await input('source.host').fill(env('E2E_SFTP_HOST'))
    await input('source.port').fill(String(sourcePort))
    await input('source.user').fill(env('E2E_SFTP_USER'))
    await input('source.password').fill(env('E2E_SFTP_PASS'))
    await input('source.path').fill('.')
    // The site's wp-config.php says the database is on 127.0.0.1, which over SFTP means an
    // SSH tunnel; these test servers do not forward ports, so the admin enters it by hand.
    await dialog().locator('[data-test="source-from-wpconfig"]').click()
    await input('source.db.host').fill(env('E2E_DB_HOST'))
    await input('source.db.port').fill(env('E2E_DB_PORT'))
    await input('source.db.name').fill(env('E2E_SRC_DB'))
    await input('source.db.user').fill(env('E2E_DB_USER'))
    await input('source.db.password').fill(env('E2E_DB_PASS'))
    if (testSource) {
      await dialog().locator('[data-test="test-source"]').click()
      const res = dialog().locator('[data-test="test-result-source"]')
      await expectText(res.locator('[data-test="test-files"]'), /Files:/, 15_000)
      assert.ok(await res.locator('[data-test="test-files"].good').count(), await res.textContent())
      assert.ok(
        await res.locator('[data-test="test-database"].good').count(),
        await res.textContent(),
      )
      assert.ok(
        (await res.locator('[data-test="test-hostkey"]').textContent()).includes(
          env('E2E_SFTP_KEY'),
        ),
        'Test connection shows the server host key fingerprint',
      )
      // The old URL comes from the source's database.
      assert.equal(await input('oldUrl').inputValue(), env('E2E_OLD_URL'))
    }
  } else {
    await input('oldUrl').fill(env('E2E_OLD_URL'))
  }
  const destForm = dialog().locator('[data-test="endpoint-form-destination"]')
  await destForm.locator('[data-test="destination-protocol"]').click()
  await page.locator('.n-base-select-option', { hasText: 'FTP (unencrypted)' }).click()
  await input('destination.host').fill(env('E2E_FTP_HOST'))
  await input('destination.port').fill(env('E2E_FTP_PORT'))
  await input('destination.user').fill(env('E2E_FTP_USER'))
  await input('destination.password').fill(env('E2E_FTP_PASS'))
  await input('destination.path').fill(`/${dest}`)
  await input('destination.db.host').fill(env('E2E_DB_HOST'))
  await input('destination.db.port').fill(env('E2E_DB_PORT'))
  await input('destination.db.name').fill(env(`E2E_DB_${dest}`))
  await input('destination.db.user').fill(env('E2E_DB_USER'))
  await input('destination.db.password').fill(env('E2E_DB_PASS'))
  if (testDest) {
    await dialog().locator('[data-test="test-destination"]').click()
    const res = dialog().locator('[data-test="test-result-destination"]')
    await expectText(res.locator('[data-test="test-files"]'), /Files:/, 15_000)
    assert.ok(await res.locator('[data-test="test-files"].good').count(), await res.textContent())
    assert.ok(
      await res.locator('[data-test="test-database"].good').count(),
      await res.textContent(),
    )
  }
  await input('newUrl').fill(`https://${domain}`)
}

/** create submits the form with Enter and returns the new migration's ID. */
async function create(domain) {
  await input('newUrl').press('Enter')
  await dialog().waitFor({ state: 'hidden', timeout: 10_000 })
  const esc = domain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const text = await toastSeen(page, new RegExp(`Migration #\\d+ \\(${esc}\\) created`))
  return Number(/#(\d+)/.exec(text)[1])
}

/** waitTab waits until the migration is listed in a tab (searching keeps it on page one). */
async function waitIn(tabName, id, ms = 90_000) {
  await tab(tabName)
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await row(id).count()) return row(id)
    await sleep(300)
  }
  assert.fail(`migration #${id} never reached ${tabName}`)
}

test('an SFTP migration created through the form, Test connection green, reaches Successful', async () => {
  await fillForm({
    method: 'sftp',
    domain: 'ok.example.com',
    sourcePort: env('E2E_SFTP_PORT'),
    dest: 'ok',
    testSource: true,
    testDest: true,
  })
  await shot(page, '10-form-tested')
  ids.ok = await create('ok.example.com')
  await tab('in_progress')
  await shot(page, '11-in-progress-running')
  await waitIn('successful', ids.ok)
  const status = await row(ids.ok).locator(`[data-test="status-${ids.ok}"]`).textContent()
  assert.match(status, /Completed/)
})

test('a migration whose login is refused lands in Failed with the reason; Retry resumes it', async () => {
  await fillForm({
    method: 'sftp',
    domain: 'retry.example.com',
    sourcePort: env('E2E_GATED_PORT'),
    dest: 'retry',
  })
  ids.retry = await create('retry.example.com')
  await waitIn('failed', ids.retry)
  await expectText(
    row(ids.retry).locator(`[data-test="status-${ids.retry}"]`),
    /Login incorrect on SFTP server/,
  )
  await shot(page, '12-failed')
  // The admin fixes the password on the server; Retry resumes from the failed step.
  const res = await fetch(`${env('E2E_CONTROL')}/gate/open`, { method: 'POST' })
  assert.equal(res.status, 200)
  await page.locator(`[data-test="action-retry-${ids.retry}"]`).click()
  await confirmDialog().waitFor()
  assert.match(
    await confirmDialog().textContent(),
    new RegExp(`Retry migration #${ids.retry} \\(retry\\.example\\.com\\)\\?`),
  )
  assert.match(await confirmDialog().textContent(), /Retry from start instead/)
  await shot(page, '13-confirm-retry')
  await confirmDialog().getByRole('button', { name: 'Retry' }).click()
  await waitIn('successful', ids.retry)
  // Resumed, not restarted: Check destination ran once, in the first run.
  await row(ids.retry).locator(`[data-test="action-show-${ids.retry}"]`).click()
  await modal().waitFor()
  await modal().locator('.n-tabs-tab', { hasText: 'Logs' }).click()
  const log = await modal().locator('[data-test="log-view"]').textContent()
  assert.match(log, /Login incorrect/)
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
})

test('Stop, confirmed in a dialog naming the migration, fails a slow migration as Stopped by admin', async () => {
  await fillForm({
    method: 'sftp',
    domain: 'stop.example.com',
    sourcePort: env('E2E_SLOW_PORT'),
    dest: 'stop',
  })
  ids.stop = await create('stop.example.com')
  await tab('in_progress')
  const status = page.locator(`[data-test="status-${ids.stop}"]`)
  await expectText(status, /Downloading files/, 60_000)
  await expectText(status, /\d+%/, 20_000)
  await shot(page, '14-progress')
  // The upload runs alongside the download: the details show its own progress on its line.
  await row(ids.stop).locator(`[data-test="action-show-${ids.stop}"]`).click()
  await modal().waitFor()
  const ahead = modal().locator('[data-test="step-ahead"]')
  await ahead.waitFor({ timeout: 30_000 })
  assert.match(await ahead.textContent(), /of/)
  await shot(page, '14b-upload-alongside')
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
  await page.locator(`[data-test="action-stop-${ids.stop}"]`).click()
  await confirmDialog().waitFor()
  assert.match(
    await confirmDialog().textContent(),
    new RegExp(`Stop migration #${ids.stop} \\(stop\\.example\\.com\\)\\?`),
  )
  await shot(page, '15-confirm-stop')
  await confirmDialog().getByRole('button', { name: 'Stop migration' }).click()
  await waitIn('failed', ids.stop, 30_000)
  await expectText(row(ids.stop).locator(`[data-test="status-${ids.stop}"]`), /Stopped by admin/)
})

test('a manual migration: drop the two files, Verify runs, Continue Import, Successful', async () => {
  await fillForm({ method: 'manual', domain: 'manual.example.com', dest: 'manual' })
  ids.manual = await create('manual.example.com')
  await tab('in_progress')
  const alert = page.locator(`[data-test="status-${ids.manual}"] .attention`)
  await alert.waitFor({ timeout: 60_000 })
  // The window title counts what needs the admin.
  await page.waitForFunction(() => document.title === 'Ferry (1 needs action)')
  await alert.click()
  await modal().locator('[data-test="drop-zone"]').waitFor()
  await shot(page, '16-process-drop-zone')
  // Dropping files on the window arrives as the files:dropped event with absolute paths.
  await page.evaluate(
    ([zip, sql]) => window.runtime.EventsEmit('files:dropped', [zip, sql]),
    [env('E2E_ZIP'), env('E2E_SQL')],
  )
  await expectText(
    modal().locator('[data-test="attached-files"]'),
    /Site files \(zip\).*Database dump/s,
    15_000,
  )
  const report = modal().locator('[data-test="verify-report"]')
  await expectText(report, /Verify passed/, 60_000)
  assert.match(await report.textContent(), /6\.4\.3/)
  const go = modal().locator('[data-test="continue-import"]')
  // The button follows the verdict (it may render a moment after the report's text).
  await until(
    async () => !(await go.isDisabled()),
    'Continue Import stays disabled after Verify passed',
  )
  await shot(page, '17-verify-passed')
  await go.click()
  await modal().locator('[data-test="steps"]').waitFor()
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
  await waitIn('successful', ids.manual)
  await page.waitForFunction(() => document.title === 'Ferry')
})

test('details of a finished migration: steps, logs with filter and save, source with host key, revealed password', async () => {
  await tab('successful')
  await page.locator(`[data-test="action-show-${ids.ok}"]`).click()
  await modal().waitFor()
  const steps = modal().locator('[data-test="steps"]')
  await steps.waitFor()
  assert.equal(await steps.locator('tbody tr.state-completed').count(), 9)
  assert.match(await modal().locator('[data-test="total-duration"]').textContent(), /\d/)
  await shot(page, '20-details-steps')
  await modal().locator('.n-tabs-tab', { hasText: 'Logs' }).click()
  const view = modal().locator('[data-test="log-view"]')
  await expectText(view, /Migration completed/)
  await modal().getByText('Errors only', { exact: true }).click()
  assert.doesNotMatch(await view.textContent(), /Migration completed/)
  await modal().getByText('Everything', { exact: true }).click()
  await shot(page, '21-details-logs')
  await modal().locator('[data-test="save-log"]').click()
  await toastSeen(page, /log lines saved to/)
  const saved = readdirSync(env('E2E_EXPORT_DIR')).find((f) => f.endsWith('.log'))
  assert.ok(saved, 'a saved log')
  assert.match(readFileSync(join(env('E2E_EXPORT_DIR'), saved), 'utf8'), /Migration completed/)
  await modal().locator('.n-tabs-tab', { hasText: 'Process Details' }).click()
  await modal().locator('[data-test="process"]').getByText('Completed').waitFor()
  await modal().locator('.n-tabs-tab', { hasText: 'Source Details' }).click()
  const source = await modal().locator('[data-test="endpoint-source"]').textContent()
  assert.match(source, /Host key/)
  assert.ok(source.includes(`${env('E2E_SFTP_HOST')}:${env('E2E_SFTP_PORT')}`), source)
  await shot(page, '22-details-source')
  await modal().locator('.n-tabs-tab', { hasText: 'Destination Details' }).click()
  const secret = modal().locator('[data-test="secret-destination.password"]')
  assert.doesNotMatch(await secret.textContent(), new RegExp(env('E2E_FTP_PASS')))
  await secret.getByRole('button').click()
  await expectText(secret.locator('.value'), env('E2E_FTP_PASS'))
  await shot(page, '23-details-destination')
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
})

test('the user side panel lists every migration of that owner', async () => {
  await tab('successful')
  await page.locator(`[data-test="user-${ids.ok}"]`).click()
  const panel = page.locator('[data-test="user-panel"]')
  await panel.waitFor()
  await expectText(panel, /zoe@example\.com.*4 migrations/s)
  for (const id of Object.values(ids))
    await panel.locator(`[data-test="user-migration-${id}"]`).waitFor()
  await shot(page, '24-user-panel')
  await page.keyboard.press('Escape')
  await panel.waitFor({ state: 'hidden' })
})

test('search narrows the table', async () => {
  await tab('successful')
  await page.locator('body').click({ position: { x: 5, y: 400 } })
  await page.keyboard.press('/')
  await page.keyboard.type('manual.example')
  await expectText(page.locator('.n-data-table-base-table-body'), /manual\.example\.com/)
  const until = Date.now() + 5000
  while ((await page.locator('tr[data-test^="row-"]').count()) !== 1 && Date.now() < until)
    await sleep(150)
  assert.equal(await page.locator('tr[data-test^="row-"]').count(), 1)
  await shot(page, '25-search')
  await page.locator('#migration-search').fill('')
  await expectText(count('successful'), '3')
})

test('export CSV of the selected successful migrations to the path the save dialog gave', async () => {
  await tab('successful')
  const until = Date.now() + 15_000
  while ((await page.locator('tr[data-test^="row-"]').count()) !== 3 && Date.now() < until)
    await sleep(150)
  assert.equal(await page.locator('tr[data-test^="row-"]').count(), 3, 'three successful rows')
  await page.locator('.n-data-table-th--selection .n-checkbox').click()
  await page.locator('[data-test="mass-actions"]').click()
  await page.locator('.n-dropdown-option', { hasText: 'Export selected (3)' }).click()
  const dlg = page.locator('[data-test="export-dialog"]')
  await dlg.waitFor()
  await dlg.getByText('Start with a byte order mark').click()
  await shot(page, '26-export-dialog')
  await dlg.locator('[data-test="export-save"]').click()
  await toastSeen(page, /3 migrations exported to .*\.csv/)
  const csv = readdirSync(env('E2E_EXPORT_DIR')).find((f) => f.endsWith('.csv'))
  const body = readFileSync(join(env('E2E_EXPORT_DIR'), csv), 'utf8')
  assert.ok(body.startsWith('\uFEFF'), 'the CSV starts with a BOM')
  for (const d of ['ok.example.com', 'retry.example.com', 'manual.example.com'])
    assert.match(body, new RegExp(d))
  assert.doesNotMatch(body, new RegExp(env('E2E_FTP_PASS')), 'no password in the report')
})

test('bulk delete through the mass-actions menu and its confirmation', async () => {
  await tab('failed') // changing tabs clears the selection the export left
  await tab('successful')
  const until = Date.now() + 15_000
  while ((await page.locator('tr[data-test^="row-"]').count()) !== 3 && Date.now() < until)
    await sleep(150)
  assert.equal(await page.locator('tr[data-test^="row-"]').count(), 3, 'three successful rows')
  await page.locator(`tr[data-test="row-${ids.retry}"] .n-checkbox`).click()
  await page.locator(`tr[data-test="row-${ids.manual}"] .n-checkbox`).click()
  await page.locator('[data-test="mass-actions"]').click()
  await page.locator('.n-dropdown-option', { hasText: 'Delete selected (2)' }).click()
  await confirmDialog().waitFor()
  assert.match(await confirmDialog().textContent(), /Delete 2 migrations\?/)
  await shot(page, '27-confirm-bulk-delete')
  await confirmDialog().getByRole('button', { name: 'Delete' }).click()
  await expectText(count('successful'), '1')
  assert.equal(await row(ids.ok).count(), 1)
  assert.equal(await row(ids.manual).count(), 0)
})

/** overlaps tells whether two bounding boxes intersect. */
const overlaps = (a, b) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

/** failedMigration creates an SFTP → FTP migration with a wrong FTP password and waits
 * for it in the Failed tab. */
async function failedMigration(domain, dest) {
  await fillForm({ method: 'sftp', domain, sourcePort: env('E2E_SFTP_PORT'), dest })
  await input('destination.password').fill('not-the-password')
  const id = await create(domain)
  await waitIn('failed', id)
  return id
}

test('Edit a failed migration: secrets kept, a new password and an extra replacement, Retry ends Successful', async () => {
  ids.edit = await failedMigration('edit.example.com', 'spare1')
  const edit = page.locator('[data-test="edit-dialog"]')
  // Saved unchanged, the form closes with a toast: opened again at once, it must not be
  // covered by that toast (nor by the failure's, if it still shows).
  await row(ids.edit).locator(`[data-test="action-edit-${ids.edit}"]`).click()
  await edit.waitFor()
  await edit.locator('[data-test="save-edit"]').click()
  await edit.waitFor({ state: 'hidden' })
  await toastSeen(page, /Nothing changed in migration #\d+ \(edit\.example\.com\)/)
  await row(ids.edit).locator(`[data-test="action-edit-${ids.edit}"]`).click()
  await edit.waitFor()
  await sleep(400) // the dialog's scale-up ends
  const save = await edit.locator('[data-test="save-edit"]').boundingBox()
  const shown = page.locator('.n-message')
  assert.ok((await shown.count()) > 0, 'a toast is showing beside the form')
  for (let i = 0; i < (await shown.count()); i++) {
    const box = await shown.nth(i).boundingBox()
    assert.ok(
      !box || !overlaps(save, box),
      `a toast covers the Save button: ${JSON.stringify({ save, box })}`,
    )
  }
  const srcPass = edit.locator('input[name="source.password"]')
  assert.equal(await srcPass.inputValue(), '', 'a stored secret is never shown in the form')
  assert.equal(await srcPass.getAttribute('placeholder'), 'Kept: type to replace')
  await edit.locator('input[name="destination.password"]').fill(env('E2E_FTP_PASS'))
  await edit.locator('[data-test="add-replacement"]').click()
  await edit.locator('input[name="options.replacements.0.find"]').fill('cdn.old-site.example')
  await edit.locator('input[name="options.replacements.0.replace"]').fill('cdn.edit.example.com')
  await shot(page, '30-edit-kept-secret')
  await edit.locator('[data-test="save-edit"]').click()
  await toastSeen(page, /Settings of migration .* saved/)
  // Saving offers the Retry the change allows.
  await confirmDialog().waitFor()
  await expectText(confirmDialog(), /migration #\d+ \(edit\.example\.com\)/)
  await confirmDialog().getByRole('button', { name: 'Retry' }).click()
  await waitIn('successful', ids.edit, 120_000)
})

test('three toasts over the details modal: reports saved in each format, none covering the modal', async () => {
  await tab('successful')
  await page.locator(`[data-test="action-show-${ids.edit}"]`).click()
  await modal().waitFor()
  await modal().locator('[data-test="steps"]').waitFor()
  // Each toast is checked against the modal as it appears; on a loaded machine the first
  // may have gone (5 s) by the time the third report is written.
  await sleep(400) // the modal's scale-up ends
  const card = await modal().boundingBox()
  for (const format of ['JSON', 'CSV', 'PDF']) {
    await modal().locator('[data-test="details-report"]').click()
    const option = page.locator('.n-dropdown-option-body', { hasText: `${format} report` })
    await option.waitFor()
    await option.click()
    const toast = page.locator('.n-message', { hasText: `.${format.toLowerCase()}` }).first()
    await toast.waitFor()
    await sleep(400) // the toast's slide-in ends
    // Every toast showing now, not only the newest, stays off the modal.
    const shown = page.locator('.n-message')
    for (let i = 0; i < (await shown.count()); i++) {
      const box = await shown.nth(i).boundingBox()
      assert.ok(
        !box || !overlaps(card, box),
        `after the ${format} report a toast covers the details modal: ${JSON.stringify({ card, box })}`,
      )
    }
  }
  // All three were shown (a loaded machine may have dropped the first before the third came).
  for (const ext of ['json', 'csv', 'pdf'])
    await toastSeen(page, new RegExp(`saved to .*\\.${ext}`))
  await shot(page, '32-details-three-toasts')
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
  const files = readdirSync(env('E2E_EXPORT_DIR'))
  const json = files.find((f) => f.startsWith(`ferry-${ids.edit}-`) && f.endsWith('.json'))
  assert.ok(json, `the JSON report in ${files}`)
  const rep = readFileSync(join(env('E2E_EXPORT_DIR'), json), 'utf8')
  assert.match(rep, /cdn\.old-site\.example/, 'the report names the extra replacement')
  assert.ok(!rep.includes(env('E2E_FTP_PASS')), 'no password in the report')
})

test('Switch to manual, confirmed, turns a failed migration into one waiting for its files', async () => {
  ids.switch = await failedMigration('switch.example.com', 'spare2')
  await page.locator(`[data-test="action-show-${ids.switch}"]`).click()
  await modal().waitFor()
  await modal().locator('[data-test="details-switch_to_manual"]').click()
  await confirmDialog().waitFor()
  await expectText(confirmDialog(), /Turn migration .*switch\.example\.com.* into a manual one/)
  await shot(page, '31-confirm-switch-to-manual')
  await confirmDialog().getByRole('button', { name: 'Switch to manual' }).click()
  await toastSeen(page, /is now manual: attach its files/)
  await modal().locator('[data-test="process"]').waitFor()
  await shot(page, '33-switched-to-manual')
  await page.keyboard.press('Escape')
  await modal().waitFor({ state: 'hidden' })
  await waitIn('in_progress', ids.switch)
})

test('the page logged no errors', () => {
  assert.deepEqual(app.consoleErrors, [])
})
