import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick, reactive } from 'vue'
import * as api from '../src/api'
import ExportDialog from '../src/components/ExportDialog.vue'
import ProcessTab from '../src/components/details/ProcessTab.vue'
import StepsTab from '../src/components/details/StepsTab.vue'
import EndpointFields from '../src/components/EndpointFields.vue'
import UserPanel from '../src/components/UserPanel.vue'
import { accessOptions, blankEndpoint, endpointInput } from '../src/lib/endpoint'
import { useActionsStore } from '../src/stores/actions'
import { useDetailsStore } from '../src/stores/details'
import { titleFor, useLiveStore } from '../src/stores/live'
import { useMigrationsStore } from '../src/stores/migrations'
import { useSettingsStore } from '../src/stores/settings'
import { useUiStore } from '../src/stores/ui'
import { page, row } from './fixtures'

type Handler = (payload: unknown) => void
const handlers = new Map<string, Handler[]>()

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    onEvent: vi.fn((name: string, h: Handler) => {
      handlers.set(name, [...(handlers.get(name) ?? []), h])
      return () =>
        handlers.set(
          name,
          (handlers.get(name) ?? []).filter((x) => x !== h),
        )
    }),
    setWindowTitle: vi.fn(),
    listMigrations: vi.fn(),
    getMigration: vi.fn(),
    getLogs: vi.fn(),
    lastVerify: vi.fn(),
    attachFiles: vi.fn(),
    verifyMigration: vi.fn(),
    continueImport: vi.fn(),
    chooseFiles: vi.fn(),
    chooseSavePath: vi.fn(),
    exportReport: vi.fn(),
    stopMigration: vi.fn(),
    retryMigration: vi.fn(),
    testConnection: vi.fn(),
    getSettings: vi.fn(),
    saveSettings: vi.fn(),
  }
})

function emit(name: string, payload: unknown) {
  for (const h of handlers.get(name) ?? []) h(payload)
}

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  handlers.clear()
  vi.clearAllMocks()
  vi.mocked(api.listMigrations).mockResolvedValue(page([]))
  vi.mocked(api.getLogs).mockResolvedValue([])
  vi.mocked(api.lastVerify).mockResolvedValue(null)
})
afterEach(() => {
  document.body.innerHTML = ''
})

function detail(over: Partial<api.MigrationDetail> = {}): api.MigrationDetail {
  const ep = {
    protocol: 'ftp',
    host: 'ftp.example.net',
    port: 21,
    user: 'jane',
    password: '••••••••',
    hasPassword: true,
    hasPrivateKey: false,
    path: '/',
    hostKey: '',
    certFingerprint: '',
    db: {
      host: '127.0.0.1',
      port: 3306,
      user: 'wp',
      password: '',
      hasPassword: true,
      name: 'wp',
      sshTunnel: false,
      fromWpConfig: false,
    },
  }
  return {
    ...row(),
    oldUrl: 'http://old.test',
    newUrl: 'https://example.com',
    source: ep,
    destination: ep,
    options: {
      overwrite: false,
      freshSalts: false,
      excludes: [],
      httpCheck: false,
      httpIp: '',
      replacements: [],
    },
    steps: [],
    logs: [],
    files: [],
    totalMs: 0,
    wallMs: 0,
    checks: [],
    warnings: [],
    ...over,
  } as api.MigrationDetail
}

const zip = { kind: 'site_zip', path: '/data/wordpress-files.zip', size: 2048 }
const sql = { kind: 'sql', path: '/data/database.sql', size: 4096 }
const passed: api.VerifyReport = {
  ok: true,
  found: ['WordPress 6.4.3', '60 files, 2.0 KiB'],
  problems: [
    { message: 'wp-config.php is missing: Ferry writes one', warning: true, file: 'site_zip' },
  ],
  wordpressVersion: '6.4.3',
  files: 60,
  bytes: 2048,
  tablePrefix: 'wp_',
  tables: 12,
  siteUrl: 'http://old.test',
  verifiedAt: 1_700_000_000_000,
}

describe('Process Details of a manual migration waiting for its files', () => {
  async function mountProcess() {
    const waiting = detail({ actions: ['show', 'stop', 'mark_failed', 'delete', 'attach'] })
    vi.mocked(api.getMigration).mockResolvedValue(waiting)
    const details = useDetailsStore()
    await details.open(12)
    const w = mount(ProcessTab, {
      props: { detail: details.detail! },
      global: { plugins: [pinia] },
    })
    return { w, details }
  }

  it('attaches dropped files, verifies on its own, and enables Continue Import after a clean Verify', async () => {
    const { w, details } = await mountProcess()
    const attached = detail({
      files: [zip, sql],
      actions: ['show', 'stop', 'mark_failed', 'delete', 'attach', 'verify'],
    })
    vi.mocked(api.attachFiles).mockResolvedValue(attached)
    vi.mocked(api.verifyMigration).mockResolvedValue(passed)
    vi.mocked(api.getMigration).mockResolvedValue(
      detail({
        files: [zip, sql],
        actions: ['show', 'delete', 'attach', 'verify', 'continue_import'],
      }),
    )
    expect(w.find('[data-test="continue-import"]').attributes('disabled')).toBeDefined()
    emit('files:dropped', [zip.path, sql.path])
    await flushPromises()
    expect(api.attachFiles).toHaveBeenCalledWith(12, [zip.path, sql.path])
    expect(api.verifyMigration).toHaveBeenCalledWith(12)
    await w.setProps({ detail: details.detail! })
    const report = w.find('[data-test="verify-report"]')
    expect(report.text()).toContain('Verify passed with warnings')
    expect(report.text()).toContain('WordPress 6.4.3')
    expect(w.findAll('[data-test="verify-warning"]')).toHaveLength(1)
    expect(w.findAll('[data-test="verify-problem"]')).toHaveLength(0)
    expect(w.findAll('[data-test="attached-file"]').map((f) => f.text())).toEqual([
      expect.stringContaining('Site files (zip)'),
      expect.stringContaining('Database dump (.sql)'),
    ])
    const go = w.find('[data-test="continue-import"]')
    expect(go.attributes('disabled')).toBeUndefined()
    vi.mocked(api.continueImport).mockResolvedValue(row({ status: 'queued' }))
    await go.trigger('click')
    await flushPromises()
    expect(api.continueImport).toHaveBeenCalledWith(12)
    expect(useUiStore().detailsTab).toBe('steps')
    w.unmount()
    // Once closed, drops are no longer attached to this migration.
    emit('files:dropped', ['/x.zip'])
    expect(api.attachFiles).toHaveBeenCalledTimes(1)
  })

  it('lists each blocking problem and keeps Continue Import disabled after a failed Verify', async () => {
    const { w, details } = await mountProcess()
    vi.mocked(api.chooseFiles).mockResolvedValue([zip.path, sql.path])
    vi.mocked(api.attachFiles).mockResolvedValue(
      detail({ files: [zip, sql], actions: ['show', 'attach', 'verify'] }),
    )
    vi.mocked(api.verifyMigration).mockResolvedValue({
      ...passed,
      ok: false,
      problems: [
        {
          message: "File extraction failed: entry 'wp-content/x.php' is corrupt (CRC mismatch)",
          warning: false,
          file: 'site_zip',
        },
      ],
    })
    await w.find('[data-test="choose-files"]').trigger('click')
    await flushPromises()
    await w.setProps({ detail: details.detail! })
    expect(w.find('[data-test="verify-report"]').text()).toContain('Verify found 1 problem')
    expect(w.find('[data-test="verify-problem"]').text()).toContain('CRC mismatch')
    expect(w.find('[data-test="continue-import"]').attributes('disabled')).toBeDefined()
  })

  it('shows why a file was refused', async () => {
    const { w } = await mountProcess()
    vi.mocked(api.attachFiles).mockRejectedValue(
      new api.ApiError('invalid_input', 'Some files were not attached', {
        '/data/notes.txt': 'This is neither a WordPress site zip nor an SQL dump.',
      }),
    )
    emit('files:dropped', ['/data/notes.txt'])
    await flushPromises()
    expect(w.text()).toContain(
      '/data/notes.txt: This is neither a WordPress site zip nor an SQL dump.',
    )
    expect(api.verifyMigration).not.toHaveBeenCalled()
  })

  it('says why a failed migration failed and points at the one Retry below', async () => {
    const failed = detail({
      status: 'failed',
      tab: 'failed',
      failureReason: 'Login incorrect on SFTP server',
      actions: ['show', 'retry', 'retry_from_start', 'mark_successful', 'delete'],
    })
    const w = mount(ProcessTab, { props: { detail: failed }, global: { plugins: [pinia] } })
    expect(w.find('[data-test="failed-reason"]').text()).toContain('Login incorrect on SFTP server')
    expect(w.find('[data-test="failed-reason"]').text()).toContain('use Retry below')
    // The modal's footer holds Retry and Retry from start; the tab must not repeat them.
    expect(w.findAll('button').filter((b) => /Retry/.test(b.text()))).toHaveLength(0)
  })
})

describe('actions', () => {
  it('stops only after the confirmation that names the migration', async () => {
    vi.mocked(api.stopMigration).mockResolvedValue(row({ status: 'failed' }))
    const ui = useUiStore()
    const done = useActionsStore().stop(row())
    expect(ui.confirm?.message).toMatch(/^Stop migration #12 \(example\.com\)\?.*Stopped by admin/)
    expect(ui.confirm?.danger).toBe(true)
    expect(api.stopMigration).not.toHaveBeenCalled()
    ui.answer(true)
    expect(await done).toBe(true)
    expect(api.stopMigration).toHaveBeenCalledWith(12)
  })

  it('offers Retry from start as an option of the Retry dialog', async () => {
    vi.mocked(api.retryMigration).mockResolvedValue(row({ status: 'queued' }))
    const ui = useUiStore()
    const r = row({ status: 'failed', actions: ['show', 'retry', 'retry_from_start', 'delete'] })
    const done = useActionsStore().retry(r)
    expect(ui.confirm?.option).toBe('Retry from start instead')
    ui.confirmChecked = true
    ui.answer(true)
    expect(await done).toBe(true)
    expect(api.retryMigration).toHaveBeenCalledWith(12, true)
  })

  it('does nothing when the admin cancels the save dialog of an export', async () => {
    vi.mocked(api.chooseSavePath).mockResolvedValue('')
    const res = await useActionsStore().exportTo({
      format: 'csv',
      ids: [1],
      search: '',
      since: 0,
      until: 0,
      bom: false,
      anonymise: false,
    })
    expect(res).toBeNull()
    expect(api.exportReport).not.toHaveBeenCalled()
  })
})

describe('ExportDialog', () => {
  it('exports the selected rows to the path the save dialog returns, with the chosen options', async () => {
    vi.mocked(api.chooseSavePath).mockResolvedValue('/home/admin/report.csv')
    vi.mocked(api.exportReport).mockResolvedValue({
      path: '/home/admin/report.csv',
      format: 'csv',
      count: 2,
      bytes: 100,
    })
    const w = mount(ExportDialog, { attachTo: document.body, global: { plugins: [pinia] } })
    const ui = useUiStore()
    ui.openExport({ ids: [3, 4], search: '' })
    await flushPromises()
    expect(document.body.textContent).toContain('Exports the 2 selected migrations.')
    const boxes = document.body.querySelectorAll<HTMLElement>('.n-checkbox')
    boxes[0].click() // BOM
    boxes[1].click() // anonymise
    await nextTick()
    document.body.querySelector<HTMLElement>('[data-test="export-save"]')!.click()
    await flushPromises()
    expect(api.chooseSavePath).toHaveBeenCalledWith(
      'Export report',
      expect.stringMatching(/\.csv$/),
    )
    expect(api.exportReport).toHaveBeenCalledWith({
      format: 'csv',
      ids: [3, 4],
      search: '',
      since: 0,
      until: 0,
      bom: true,
      anonymise: true,
      path: '/home/admin/report.csv',
    })
    expect(ui.exportRequest).toBeNull()
    expect(ui.notices.at(-1)?.text).toBe('2 migrations exported to /home/admin/report.csv')
    w.unmount()
  })
})

describe('live: title badge and notifications', () => {
  it('counts migrations that need the admin in the window title', async () => {
    expect(titleFor(0)).toBe('Ferry')
    expect(titleFor(1)).toBe('Ferry (1 needs action)')
    expect(titleFor(3)).toBe('Ferry (3 need action)')
    const live = useLiveStore()
    live.start()
    vi.mocked(api.getMigration).mockResolvedValue(detail())
    emit('migration:changed', {
      id: 5,
      status: 'running',
      step: 'check_destination',
      deleted: false,
    })
    emit('migration:changed', { id: 5, status: 'waiting', step: 'wait_for_upload', deleted: false })
    await nextTick()
    expect(api.setWindowTitle).toHaveBeenLastCalledWith('Ferry (1 needs action)')
    const ui = useUiStore()
    expect(ui.notices.at(-1)?.text).toBe('Migration #5 needs your action')
    emit('migration:changed', { id: 5, status: 'running', step: 'upload_files', deleted: false })
    emit('migration:changed', { id: 5, status: 'successful', step: '', deleted: false })
    await nextTick()
    expect(api.setWindowTitle).toHaveBeenLastCalledWith('Ferry')
    expect(ui.notices.at(-1)).toEqual(
      expect.objectContaining({ type: 'success', text: 'Migration #5 completed' }),
    )
    live.stop()
  })

  it('follows the running step of the open migration live', async () => {
    const steps = [
      {
        id: 'download_files',
        number: 4,
        title: 'Download files',
        state: 'running',
        startedAt: 1,
        finishedAt: 0,
        durationMs: 0,
        error: '',
        percent: 10,
      },
    ]
    vi.mocked(api.getMigration).mockResolvedValue(detail({ status: 'running', steps }))
    const live = useLiveStore()
    live.start()
    const details = useDetailsStore()
    await details.open(12)
    emit('migration:progress', {
      id: 12,
      step: 'download_files',
      percent: 42,
      bytesDone: 42 * 1024 * 1024,
      bytesTotal: 100 * 1024 * 1024,
      filesDone: 0,
      filesTotal: 0,
      rowsDone: 0,
      rowsTotal: 0,
      speed: 2 * 1024 * 1024,
      etaSeconds: 29,
    })
    const w = mount(StepsTab, {
      props: { detail: details.detail!, progress: details.progress },
      global: { plugins: [pinia] },
    })
    expect(w.find('[data-test="step-live"]').text()).toBe(
      '42% · 42.0 MiB of 100.0 MiB · 2.0 MiB/s · 29 s left',
    )
    live.stop()
  })

  it('shows a step running alongside the current one on its own line, not in the row', async () => {
    const base = { number: 1, startedAt: 0, finishedAt: 0, durationMs: 0, error: '', percent: 0 }
    const steps = [
      { ...base, id: 'download_files', title: 'Download files', state: 'running' },
      { ...base, id: 'upload_files', title: 'Upload files', state: 'not_started' },
      { ...base, id: 'configure_wordpress', title: 'Configure WordPress', state: 'not_started' },
    ]
    vi.mocked(api.getMigration).mockResolvedValue(
      detail({ status: 'running', currentStep: 'download_files', steps }),
    )
    const live = useLiveStore()
    live.start()
    const migrations = useMigrationsStore()
    migrations.rows = [row({ id: 12, status: 'running', currentStep: 'download_files' })]
    const details = useDetailsStore()
    await details.open(12)
    const prog = (stepId: string, percent: number) => ({
      id: 12,
      step: stepId,
      percent,
      bytesDone: percent * 1024 * 1024,
      bytesTotal: 100 * 1024 * 1024,
      filesDone: 0,
      filesTotal: 0,
      rowsDone: 0,
      rowsTotal: 0,
      speed: 1024 * 1024,
      etaSeconds: 3600,
    })
    emit('migration:progress', prog('download_files', 42))
    emit('migration:progress', prog('upload_files', 17))
    const w = mount(StepsTab, {
      props: { detail: details.detail!, progress: details.progress, ahead: details.ahead },
      global: { plugins: [pinia] },
    })
    expect(w.find('[data-test="step-live"]').text()).toContain('42%')
    expect(w.findAll('[data-test="step-ahead"]')).toHaveLength(1)
    expect(w.find('[data-test="step-ahead"]').text()).toMatch(
      /^17% · 17\.0 MiB of 100\.0 MiB · 1\.0 MiB\/s$/,
    )
    expect(migrations.rows[0].progress?.percent).toBe(42)
    live.stop()
  })
})

describe('StepsTab total', () => {
  it('shows the work time, and the span apart when attempts were hours apart', () => {
    const mk = (totalMs: number, wallMs: number) =>
      mount(StepsTab, {
        props: { detail: detail({ status: 'successful', totalMs, wallMs }), progress: null },
        global: { plugins: [pinia] },
      })
    const retried = mk(5 * 60_000, 24 * 3600_000 + 3 * 60_000)
    expect(retried.find('[data-test="total-duration"]').text()).toMatch(/^5 ?m/)
    expect(retried.find('[data-test="wall-duration"]').exists()).toBe(true)
    const once = mk(5 * 60_000, 5 * 60_000 + 800)
    expect(once.find('[data-test="wall-duration"]').exists()).toBe(false)
  })
})

describe('EndpointFields', () => {
  it('shows each line of Test connection green or red, with the host key', async () => {
    vi.mocked(api.testConnection).mockResolvedValue({
      files: { ok: true, message: 'Logged in; found WordPress 6.4.3' },
      database: { ok: false, message: 'Access denied for user wp' },
      wordpressVersion: '6.4.3',
      siteUrl: 'http://old.test',
      hostKey: 'SHA256:abc',
      encrypted: true,
    })
    const model = blankEndpoint('sftp', false)
    const w = mount(EndpointFields, {
      props: { side: 'source', model, errors: {}, protocolFixed: true },
      global: { plugins: [pinia] },
    })
    await w.find('input[name="source.host"]').setValue('old.example.com')
    await w.find('[data-test="test-source"]').trigger('click')
    await flushPromises()
    expect(api.testConnection).toHaveBeenCalledWith(
      'source',
      expect.objectContaining({ protocol: 'sftp', host: 'old.example.com', port: 22 }),
    )
    expect(w.find('[data-test="test-files"]').classes()).toContain('good')
    expect(w.find('[data-test="test-database"]').classes()).toContain('bad')
    expect(w.find('[data-test="test-database"]').text()).toContain('Access denied for user wp')
    expect(w.find('[data-test="test-hostkey"]').text()).toContain('SHA256:abc')
    expect(w.emitted('tested')?.[0]?.[0]).toMatchObject({ siteUrl: 'http://old.test' })
  })

  it('hides the source database fields while they are read from wp-config.php', async () => {
    const model = reactive(blankEndpoint('sftp', true))
    const w = mount(EndpointFields, {
      props: { side: 'source', model, errors: {}, protocolFixed: true },
      global: { plugins: [pinia] },
    })
    expect(w.find('input[name="source.db.name"]').exists()).toBe(false)
    await w.find('[data-test="source-from-wpconfig"]').trigger('click')
    expect(model.db.fromWpConfig).toBe(false)
    expect(w.find('input[name="source.db.name"]').exists()).toBe(true)
  })
})

describe('Database access', () => {
  it('offers the SSH routes only with an SFTP login, and never sends one without it', () => {
    expect(accessOptions(true).map((o) => o.label)).toEqual([
      'Automatic',
      'Direct',
      'SSH tunnel',
      'SSH command',
      'Through the site (PHP)',
    ])
    expect(accessOptions(false).map((o) => o.value)).toEqual(['', 'direct', 'php'])
    const ftp = blankEndpoint('ftp', false)
    ftp.db.access = 'ssh-command'
    expect(endpointInput(ftp).db.access).toBe('')
    ftp.db.access = 'php'
    expect(endpointInput(ftp).db.access).toBe('php')
    const sftp = blankEndpoint('sftp', false)
    sftp.db.access = 'ssh-command'
    expect(endpointInput(sftp).db.access).toBe('ssh-command')
  })

  it('tests the connection on the route chosen', async () => {
    vi.mocked(api.testConnection).mockResolvedValue({
      files: { ok: true, message: 'Logged in' },
      database: { ok: true, message: 'Connected through the site (PHP)' },
      wordpressVersion: '',
      siteUrl: '',
      hostKey: '',
      encrypted: false,
    })
    const model = reactive(blankEndpoint('ftp', false))
    model.db.access = 'php'
    const w = mount(EndpointFields, {
      props: { side: 'destination', model, errors: {}, protocolFixed: true },
      global: { plugins: [pinia] },
    })
    expect(w.find('[data-test="destination-db-access"]').exists()).toBe(true)
    await w.find('input[name="destination.host"]').setValue('new.example.com')
    await w.find('[data-test="test-destination"]').trigger('click')
    await flushPromises()
    expect(api.testConnection).toHaveBeenCalledWith(
      'destination',
      expect.objectContaining({ protocol: 'ftp', db: expect.objectContaining({ access: 'php' }) }),
    )
    expect(w.find('[data-test="test-database"]').text()).toContain(
      'Connected through the site (PHP)',
    )
  })
})

describe('UserPanel', () => {
  it("lists the owner's migrations from every tab, newest first", async () => {
    const jane = row().user
    vi.mocked(api.listMigrations).mockImplementation(async (q) =>
      page(
        q.tab === 'failed'
          ? [row({ id: 3, tab: 'failed', status: 'failed' })]
          : q.tab === 'successful'
            ? [row({ id: 9, tab: 'successful', status: 'successful' })]
            : [row({ id: 5 }), row({ id: 6, user: { ...jane, email: 'other@example.com' } })],
      ),
    )
    const w = mount(UserPanel, { attachTo: document.body, global: { plugins: [pinia] } })
    useUiStore().openUser(jane)
    await flushPromises()
    expect(vi.mocked(api.listMigrations).mock.calls.map((c) => c[0].search)).toEqual([
      'jane@example.com',
      'jane@example.com',
      'jane@example.com',
    ])
    const items = [...document.body.querySelectorAll('[data-test^="user-migration-"]')].map((e) =>
      e.getAttribute('data-test'),
    )
    expect(items).toEqual(['user-migration-9', 'user-migration-5', 'user-migration-3'])
    w.unmount()
  })
})

describe('settings', () => {
  it('applies the saved theme', async () => {
    vi.mocked(api.getSettings).mockResolvedValue({
      concurrentMigrations: 2,
      transferConnections: 4,
      theme: 'dark',
      dataDir: '/home/admin/.config/Ferry',
    })
    const s = useSettingsStore()
    expect(s.theme).toBe('system')
    await s.load()
    expect(s.theme).toBe('dark')
  })
})
