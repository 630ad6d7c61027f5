import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import * as api from '../src/api'
import EditMigrationDialog from '../src/components/EditMigrationDialog.vue'
import { useUiStore } from '../src/stores/ui'
import { page, row } from './fixtures'

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    listMigrations: vi.fn(),
    getMigration: vi.fn(),
    editMigration: vi.fn(),
    retryMigration: vi.fn(),
  }
})

const ep = (host: string) => ({
  protocol: 'sftp',
  host,
  port: 22,
  user: 'jane',
  password: '••••••••',
  hasPassword: true,
  hasPrivateKey: false,
  path: '/home/jane/public_html',
  hostKey: '',
  certFingerprint: '',
  db: {
    host: '127.0.0.1',
    port: 3306,
    user: 'wp',
    password: '••••••••',
    hasPassword: true,
    name: 'wp',
    sshTunnel: false,
    fromWpConfig: false,
  },
})

function failed(over: Partial<api.MigrationDetail> = {}): api.MigrationDetail {
  return {
    ...row({
      method: 'sftp',
      status: 'failed',
      tab: 'failed',
      failureReason: 'Login incorrect on SFTP server',
      actions: ['show', 'retry', 'retry_from_start', 'mark_successful', 'delete', 'edit'],
    }),
    oldUrl: 'http://old.test',
    newUrl: 'https://example.com',
    source: ep('old.example.net'),
    destination: ep('new.example.net'),
    options: {
      overwrite: false,
      freshSalts: false,
      excludes: [],
      httpCheck: false,
      httpIp: '',
      replacements: [],
      filesOverFtpOnly: false,
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

beforeEach(() => {
  setActivePinia(createPinia())
  vi.clearAllMocks()
  vi.mocked(api.listMigrations).mockResolvedValue(page([]))
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('EditMigrationDialog', () => {
  it('opens on the stored settings with secrets empty, sends only what was typed, then offers Retry', async () => {
    vi.mocked(api.getMigration).mockResolvedValue(failed())
    vi.mocked(api.editMigration).mockResolvedValue({
      detail: failed(),
      changed: ['source.password'],
      restart: false,
    } as api.EditResult)
    const pinia = createPinia()
    setActivePinia(pinia)
    mount(EditMigrationDialog, { attachTo: document.body, global: { plugins: [pinia] } })
    const ui = useUiStore()
    ui.openEdit(12)
    await flushPromises()
    await nextTick()

    const host = document.body.querySelector<HTMLInputElement>('input[name="source.host"]')!
    expect(host.value).toBe('old.example.net')
    const pw = document.body.querySelector<HTMLInputElement>('input[name="source.password"]')!
    expect(pw.value).toBe('')
    expect(pw.placeholder).toBe('Kept: type to replace')
    pw.value = 'the-new-one'
    pw.dispatchEvent(new Event('input'))
    await nextTick()

    document.body.querySelector<HTMLButtonElement>('[data-test="add-replacement"]')!.click()
    await nextTick()
    for (const [name, value] of [
      ['options.replacements.0.find', 'cdn.old-host.net'],
      ['options.replacements.0.replace', 'static.example.com'],
    ]) {
      const el = document.body.querySelector<HTMLInputElement>(`input[name="${name}"]`)!
      el.value = value
      el.dispatchEvent(new Event('input'))
    }
    await nextTick()

    document.body.querySelector<HTMLButtonElement>('[data-test="save-edit"]')!.click()
    await flushPromises()
    const [id, sent] = vi.mocked(api.editMigration).mock.calls[0]
    expect(id).toBe(12)
    expect(sent.source.password).toBe('the-new-one')
    expect(sent.source.host).toBe('old.example.net')
    expect(sent.destination.password).toBe('')
    expect(sent.destination.db.password).toBe('')
    expect(sent.method).toBe('sftp')
    expect(sent.options.replacements).toEqual([
      { find: 'cdn.old-host.net', replace: 'static.example.com' },
    ])
    expect(ui.editId).toBeNull()
    expect(ui.confirm?.message).toMatch(/^Retry migration #12 \(example\.com\)\? It resumes/)
  })
})

/** openOn opens Edit on d as the stored migration #12. */
async function openOn(d: api.MigrationDetail) {
  vi.mocked(api.getMigration).mockResolvedValue(d)
  vi.mocked(api.editMigration).mockResolvedValue({ detail: d, changed: [], restart: false })
  const pinia = createPinia()
  setActivePinia(pinia)
  mount(EditMigrationDialog, { attachTo: document.body, global: { plugins: [pinia] } })
  useUiStore().openEdit(12)
  await flushPromises()
  await nextTick()
}
/** save clicks Save and returns what Edit sent. */
async function save() {
  document.body.querySelector<HTMLButtonElement>('[data-test="save-edit"]')!.click()
  await flushPromises()
  return vi.mocked(api.editMigration).mock.calls.at(-1)![1]
}

describe('EditMigrationDialog: files over FTP only', () => {
  const box = () => document.body.querySelector('[data-test="files-over-ftp-only"]')
  const stored = (protocol: string, on: boolean) => {
    const d = failed({ method: 'ftp' })
    d.source = { ...ep('old.example.net'), protocol, port: 21 }
    d.options = { ...d.options, filesOverFtpOnly: on }
    return d
  }

  it('shows a stored choice for an FTP source and keeps it', async () => {
    await openOn(stored('ftps', true))
    expect(box()?.getAttribute('aria-checked')).toBe('true')
    expect((await save()).options.filesOverFtpOnly).toBe(true)
  })

  it('lets the admin turn it off', async () => {
    await openOn(stored('ftp', true))
    ;(box() as HTMLElement).click()
    await nextTick()
    expect((await save()).options.filesOverFtpOnly).toBe(false)
  })

  it('hides it for an SFTP source, and still keeps what is stored', async () => {
    await openOn(stored('sftp', true))
    expect(document.body.querySelector('input[name="source.host"]')).not.toBeNull()
    expect(box()).toBeNull()
    expect((await save()).options.filesOverFtpOnly).toBe(true)
  })
})

describe("EditMigrationDialog: the site's IP address", () => {
  it('shows the stored address, keeps it on save, and sends a changed one', async () => {
    const d = failed({ method: 'ftp' })
    d.source = { ...ep('old.example.net'), protocol: 'ftp', port: 21 }
    d.source.db = { ...d.source.db, access: 'php', siteIp: '203.0.113.5:8080' }
    await openOn(d)
    const input = () =>
      document.body.querySelector<HTMLInputElement>('input[name="source.db.siteIp"]')
    expect(input()?.value).toBe('203.0.113.5:8080')
    const kept = await save()
    expect(kept.source.db.siteIp).toBe('203.0.113.5:8080')
    expect(kept.source.db.access).toBe('php')

    useUiStore().openEdit(12)
    await flushPromises()
    await nextTick()
    input()!.value = ' 198.51.100.7 '
    input()!.dispatchEvent(new Event('input'))
    await nextTick()
    expect((await save()).source.db.siteIp).toBe('198.51.100.7')
  })
})
