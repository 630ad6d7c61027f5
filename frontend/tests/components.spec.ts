import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import * as api from '../src/api'
import NewMigrationDialog from '../src/components/NewMigrationDialog.vue'
import RowActions from '../src/components/RowActions.vue'
import StatusCell from '../src/components/StatusCell.vue'
import { useUiStore } from '../src/stores/ui'
import { page, row } from './fixtures'

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    listMigrations: vi.fn(),
    createMigration: vi.fn(),
    listServices: vi.fn(),
    listUsers: vi.fn(),
    deleteMigrations: vi.fn(),
  }
})

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(api.listMigrations).mockResolvedValue(page([]))
  vi.mocked(api.listServices).mockResolvedValue([])
  vi.mocked(api.listUsers).mockResolvedValue([])
})
afterEach(() => {
  document.body.innerHTML = ''
})

const q = <T extends Element = HTMLElement>(sel: string) => document.body.querySelector<T>(sel)

async function openDialog() {
  const pinia = createPinia()
  setActivePinia(pinia)
  const w = mount(NewMigrationDialog, { attachTo: document.body, global: { plugins: [pinia] } })
  useUiStore().openNewMigration()
  await flushPromises()
  await nextTick()
  return w
}

async function type(name: string, value: string) {
  const input = q<HTMLInputElement>(`input[name="${name}"]`)
  expect(input, name).not.toBeNull()
  input!.value = value
  input!.dispatchEvent(new Event('input'))
  await nextTick()
}

describe('NewMigrationDialog', () => {
  it('shows each message of Error.fields under its own field', async () => {
    vi.mocked(api.createMigration).mockRejectedValue(
      new api.ApiError('invalid_input', 'Check the highlighted fields', {
        userEmail: 'Enter a valid email address.',
        'destination.host': "Enter the server's host name.",
        'options.httpIp': 'Enter an IP address.',
      }),
    )
    const w = await openDialog()
    await type('userName', 'Jane Doe')
    q<HTMLButtonElement>('[data-test="create-migration"]')!.click()
    await flushPromises()
    const feedback = (path: string) =>
      q(`[data-field="${path}"] .n-form-item-feedback--error`)?.textContent?.trim()
    expect(feedback('userEmail')).toBe('Enter a valid email address.')
    expect(feedback('destination.host')).toBe("Enter the server's host name.")
    expect(feedback('userName')).toBeUndefined()
    // A field the form does not show is listed above the form instead of being lost.
    expect(q('[data-test="form-error"]')?.textContent).toContain('Enter an IP address.')
    const sent = vi.mocked(api.createMigration).mock.calls[0][0]
    // SFTP is the method picked first; the source reads its database from wp-config.php.
    expect(sent).toMatchObject({ method: 'sftp', userName: 'Jane Doe', userId: 0 })
    expect(sent.source).toMatchObject({ protocol: 'sftp', port: 22 })
    expect(sent.source.db).toMatchObject({ fromWpConfig: true, host: '' })
    expect(sent.destination).toMatchObject({ protocol: 'sftp', port: 22 })
    w.unmount()
  })

  it('closes and reports the new migration when the backend accepts it', async () => {
    vi.mocked(api.createMigration).mockResolvedValue(
      row({ id: 7, domain: 'shop.example' }) as unknown as api.MigrationDetail,
    )
    const w = await openDialog()
    await type('domain', 'shop.example')
    // Enter in a field submits the form.
    q('input[name="domain"]')!.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }),
    )
    await flushPromises()
    expect(api.createMigration).toHaveBeenCalledTimes(1)
    const ui = useUiStore()
    expect(ui.newMigrationOpen).toBe(false)
    expect(ui.notices.at(-1)?.text).toBe('Migration #7 (shop.example) created')
    w.unmount()
  })
})

describe('NewMigrationDialog: files over FTP only', () => {
  const box = () => q('[data-test="files-over-ftp-only"]')
  async function create() {
    q<HTMLButtonElement>('[data-test="create-migration"]')!.click()
    await flushPromises()
    return vi.mocked(api.createMigration).mock.calls.at(-1)![0]
  }

  it('offers it for an FTP or FTPS source, unchecked, and sends what the admin chose', async () => {
    // Refused, so the form stays open with what was typed.
    vi.mocked(api.createMigration).mockReset()
    vi.mocked(api.createMigration).mockRejectedValue(
      new api.ApiError('invalid_input', 'Check the highlighted fields', {}),
    )
    const w = await openDialog()
    expect(box(), 'SFTP is picked first: no FTP choice to make').toBeNull()

    q<HTMLButtonElement>('[data-test="method-ftp"]')!.click()
    await nextTick()
    expect(box()).not.toBeNull()
    expect(box()!.getAttribute('aria-checked')).toBe('false')
    expect(box()!.textContent).toContain('Fetch every file over FTP')
    let sent = await create()
    expect(sent.source.protocol).toBe('ftp')
    expect(sent.options.filesOverFtpOnly).toBe(false)

    box()!.click()
    await nextTick()
    expect(box()!.getAttribute('aria-checked')).toBe('true')
    sent = await create()
    expect(sent.options.filesOverFtpOnly).toBe(true)

    q<HTMLButtonElement>('[data-test="method-ftps"]')!.click()
    await nextTick()
    expect(box()!.getAttribute('aria-checked')).toBe('true')
    sent = await create()
    expect(sent.source.protocol).toBe('ftps')
    expect(sent.options.filesOverFtpOnly).toBe(true)

    // Hidden for SFTP and Manual, and a hidden choice is not sent.
    for (const m of ['sftp', 'manual']) {
      q<HTMLButtonElement>(`[data-test="method-${m}"]`)!.click()
      await nextTick()
      expect(box(), m).toBeNull()
      sent = await create()
      expect(sent.options.filesOverFtpOnly, m).toBe(false)
    }
    w.unmount()
  })
})

describe('StatusCell', () => {
  it('shows the failure reason in the Failed tab', () => {
    const w = mount(StatusCell, {
      props: {
        row: row({
          tab: 'failed',
          status: 'failed',
          failureReason: 'Cannot connect to FTP server',
        }),
      },
    })
    expect(w.find('.failed').text()).toContain('Cannot connect to FTP server')
  })

  it('names the step a failed migration stopped at, once', () => {
    const mk = (failureReason: string) =>
      mount(StatusCell, {
        props: {
          row: row({ tab: 'failed', status: 'failed', failedStep: 'Upload files', failureReason }),
        },
      }).find('.failed')
    expect(mk('Login incorrect on SFTP server').text()).toBe(
      'Upload files: Login incorrect on SFTP server',
    )
    expect(mk('Interrupted: Ferry was closed during Upload files').text()).toBe(
      'Interrupted: Ferry was closed during Upload files',
    )
  })

  it('shows Completed with a check in the Successful tab', () => {
    const w = mount(StatusCell, {
      props: { row: row({ tab: 'successful', status: 'successful' }) },
    })
    expect(w.find('.ok').text()).toBe('Completed')
  })

  it('shows the step with a progress bar while running, and the alert when action is needed', async () => {
    const running = mount(StatusCell, {
      props: {
        row: row({
          status: 'running',
          actionRequired: false,
          statusText: 'Uploading files… 42%',
          progress: { percent: 42, speed: 2 * 1024 * 1024, etaSeconds: 30 },
        }),
      },
    })
    expect(running.text()).toContain('Uploading files… 42%')
    expect(running.find('.n-progress').exists()).toBe(true)
    expect(running.find('.rate').text()).toBe('42% · 2.0 MiB/s · 30 s left')

    const waiting = mount(StatusCell, { props: { row: row() } })
    expect(waiting.find('.attention').text()).toContain('Waiting for files')
    await waiting.find('.attention').trigger('click')
    expect(useUiStore().detailsId).toBe(12)
    expect(useUiStore().detailsTab).toBe('process')
  })
})

describe('RowActions', () => {
  it('draws only allowed, bound actions and deletes through the confirmation', async () => {
    vi.mocked(api.deleteMigrations).mockResolvedValue({ done: [12], failed: {} })
    const w = mount(RowActions, {
      props: { row: row({ actions: ['show', 'stop', 'delete', 'attach', 'unknown'] }) },
    })
    const tests = w.findAll('button').map((b) => b.attributes('data-test'))
    // attach is done in Process Details, not from the row; unknown actions are never drawn.
    expect(tests).toEqual(['action-show-12', 'action-stop-12', 'action-delete-12'])
    await w.find('[data-test="action-delete-12"]').trigger('click')
    const ui = useUiStore()
    expect(ui.confirm?.message).toMatch(/^Delete migration #12 \(example\.com\)\?/)
    ui.answer(true)
    await flushPromises()
    expect(api.deleteMigrations).toHaveBeenCalledWith([12])
  })
})

describe('MigrationsPanel export', () => {
  it('exports the selection when rows are checked, else everything', async () => {
    const { default: MigrationsPanel } = await import('../src/components/MigrationsPanel.vue')
    const { useMigrationsStore } = await import('../src/stores/migrations')
    const pinia = createPinia()
    setActivePinia(pinia)
    const store = useMigrationsStore()
    vi.mocked(api.listMigrations).mockResolvedValue(page([row({ id: 4 }), row({ id: 9 })]))
    await store.setTab('successful')
    await flushPromises()
    const w = mount(MigrationsPanel, { global: { plugins: [pinia] } })
    const ui = useUiStore()
    const open = vi.spyOn(ui, 'openExport')
    const button = () => w.find('[data-test="export-all"]')
    expect(button().text()).toContain('Export all…')
    await button().trigger('click')
    expect(open).toHaveBeenLastCalledWith({ ids: [], search: '' })
    store.checked = [9]
    await nextTick()
    expect(button().text()).toContain('Export 1 selected…')
    await button().trigger('click')
    expect(open).toHaveBeenLastCalledWith({ ids: [9], search: '' })
  })
})
