import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import * as api from '../src/api'
import type { BatchPreview, BatchSummary } from '../src/api'
import BatchPreviewTable from '../src/components/BatchPreviewTable.vue'
import BatchSummaryBar from '../src/components/BatchSummaryBar.vue'
import NewBatchDialog from '../src/components/NewBatchDialog.vue'
import { useBatchesStore } from '../src/stores/batches'
import { useMigrationsStore } from '../src/stores/migrations'
import { useUiStore } from '../src/stores/ui'
import { page, row } from './fixtures'

const dropped: Array<(paths: string[]) => void> = []

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    listMigrations: vi.fn(),
    listBatches: vi.fn(),
    batchSummary: vi.fn(),
    previewBatch: vi.fn(),
    startBatch: vi.fn(),
    stopBatch: vi.fn(),
    retryFailedInBatch: vi.fn(),
    chooseSitesFile: vi.fn(),
    chooseSavePath: vi.fn(),
    batchReport: vi.fn(),
    onEvent: vi.fn((name: string, h: (p: string[]) => void) => {
      if (name === real.EVENT_FILES_DROPPED) dropped.push(h)
      return () => dropped.splice(dropped.indexOf(h), 1)
    }),
  }
})

function summary(over: Partial<BatchSummary> = {}): BatchSummary {
  return {
    id: 1,
    name: 'old-host',
    createdAt: 1,
    sites: 4,
    migrations: [1, 2, 3, 4],
    created: 0,
    retried: 0,
    done: 1,
    running: 2,
    failed: 1,
    waiting: 0,
    bytes: 5 * 1024 * 1024,
    sourceBytes: 0,
    etaSeconds: 120,
    eta: '2 min left',
    rows: [],
    ...over,
  }
}

const site = (line: number, domain: string) => ({
  line,
  domain,
  newUrl: `https://${domain}`,
  sourcePath: `/home/r/${domain}`,
  sourceDb: '',
  destPath: `/${domain}`,
  destDb: `${domain.split('.')[0]}_wp`,
  owner: `owner@${domain}`,
  service: 'Starter',
})

function preview(over: Partial<BatchPreview> = {}): BatchPreview {
  return {
    file: '/tmp/sites.csv',
    name: 'sites',
    columns: [],
    sites: [site(2, 'a.example.org'), site(3, 'b.example.org')],
    problems: [],
    ...over,
  }
}

beforeEach(() => {
  setActivePinia(createPinia())
  dropped.length = 0
  vi.mocked(api.listMigrations)
    .mockReset()
    .mockResolvedValue(page([row({ batch: 'old-host' })]))
  vi.mocked(api.listBatches)
    .mockReset()
    .mockResolvedValue([summary({ rows: [] })])
  vi.mocked(api.batchSummary).mockReset().mockResolvedValue(summary())
  vi.mocked(api.previewBatch).mockReset()
  vi.mocked(api.startBatch).mockReset()
  vi.mocked(api.stopBatch).mockReset()
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('batches store', () => {
  it('filters the table on the selected batch and loads its summary', async () => {
    const b = useBatchesStore()
    await b.select('old-host')
    expect(vi.mocked(api.listMigrations).mock.lastCall?.[0]).toMatchObject({
      batch: 'old-host',
      page: 1,
    })
    expect(api.batchSummary).toHaveBeenCalledWith('old-host')
    expect(b.summary?.running).toBe(2)
    await b.select('')
    expect(vi.mocked(api.listMigrations).mock.lastCall?.[0]).toMatchObject({ batch: '' })
    expect(b.summary).toBeNull()
  })

  it('drops the filter when its batch is gone', async () => {
    const b = useBatchesStore()
    await b.select('old-host')
    vi.mocked(api.listBatches).mockResolvedValue([])
    await b.load()
    expect(useMigrationsStore().batch).toBe('')
    expect(b.summary).toBeNull()
  })

  it('change events re-read the summary, and the whole list only now and then', async () => {
    vi.useFakeTimers()
    const b = useBatchesStore()
    await b.select('old-host')
    const lists = vi.mocked(api.listBatches).mock.calls.length
    const sums = vi.mocked(api.batchSummary).mock.calls.length
    b.scheduleRefresh()
    b.scheduleRefresh()
    await vi.advanceTimersByTimeAsync(1000)
    expect(vi.mocked(api.batchSummary).mock.calls.length).toBe(sums + 1)
    expect(vi.mocked(api.listBatches).mock.calls.length).toBe(lists)
    await vi.advanceTimersByTimeAsync(10_000)
    b.scheduleRefresh()
    await vi.advanceTimersByTimeAsync(1000)
    expect(vi.mocked(api.listBatches).mock.calls.length).toBe(lists + 1)
    vi.useRealTimers()
  })

  it('asks before Stop all and stops nothing when cancelled', async () => {
    const b = useBatchesStore()
    const ui = useUiStore()
    await b.select('old-host')
    const cancelled = b.stopAll()
    await nextTick()
    expect(ui.confirm?.title).toBe('Stop the batch')
    expect(ui.confirm?.message).toContain('2 migrations of batch “old-host”')
    ui.answer(false)
    expect(await cancelled).toBe(false)
    expect(api.stopBatch).not.toHaveBeenCalled()

    vi.mocked(api.stopBatch).mockResolvedValue({ done: [2, 3], failed: {} })
    const confirmed = b.stopAll()
    await nextTick()
    ui.answer(true)
    expect(await confirmed).toBe(true)
    expect(api.stopBatch).toHaveBeenCalledWith('old-host')
    expect(ui.takeNotices().map((n) => n.text)).toContain('Stopped 2 migrations')
  })

  it('exports the report where the admin chose', async () => {
    const b = useBatchesStore()
    await b.select('old-host')
    vi.mocked(api.chooseSavePath).mockResolvedValue('/tmp/r.pdf')
    vi.mocked(api.batchReport).mockResolvedValue({
      path: '/tmp/r.pdf',
      format: 'pdf',
      count: 4,
      bytes: 9,
    })
    expect(await b.exportReport('pdf')).toBe(true)
    expect(api.chooseSavePath).toHaveBeenCalledWith(
      'Export batch report',
      'ferry-batch-old-host.pdf',
    )
    expect(api.batchReport).toHaveBeenCalledWith('old-host', 'pdf', '/tmp/r.pdf')
  })
})

describe('BatchSummaryBar', () => {
  it('shows the counts, bytes and ETA, and enables only what applies', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    await useBatchesStore().select('old-host')
    const w = mount(BatchSummaryBar, { global: { plugins: [pinia] } })
    await nextTick()
    expect(w.get('[data-test="batch-done"]').text()).toBe('1 done')
    expect(w.get('[data-test="batch-running"]').text()).toBe('2 running')
    expect(w.get('[data-test="batch-failed"]').text()).toBe('1 failed')
    expect(w.get('[data-test="batch-bytes"]').text()).toContain('5.0 MiB')
    expect(w.get('[data-test="batch-eta"]').text()).toContain('2 min left')
    expect(w.get('[data-test="batch-retry"]').attributes('disabled')).toBeUndefined()
    useBatchesStore().summary = summary({ failed: 0, running: 0, waiting: 0, done: 4, eta: '' })
    await nextTick()
    expect(w.get('[data-test="batch-retry"]').attributes('disabled')).toBeDefined()
    expect(w.get('[data-test="batch-stop"]').attributes('disabled')).toBeDefined()
    expect(w.get('[data-test="batch-eta"]').text()).toContain('nothing left to run')
    w.unmount()
  })
})

describe('BatchPreviewTable', () => {
  it('marks each problem at its row and column, and shows lines it could not read', () => {
    const w = mount(BatchPreviewTable, {
      props: {
        preview: preview({
          problems: [
            { line: 3, column: 'dest_db', message: '"a_wp" is also on line 2' },
            { line: 5, column: '', message: 'has 3 columns, the header has 8' },
          ],
        }),
      },
    })
    const bad = w.findAll('.cell--bad')
    expect(bad).toHaveLength(1)
    expect(bad[0].attributes('data-col')).toBe('dest_db')
    expect(bad[0].element.closest('tr')?.getAttribute('data-line')).toBe('3')
    const problems = w.findAll('[data-test="batch-problem"]').map((p) => p.text())
    expect(problems).toEqual([
      'Line 3, column dest_db: "a_wp" is also on line 2',
      'Line 5: has 3 columns, the header has 8',
    ])
    expect(w.find('[data-line="5"]').text()).toContain('(not read)')
    expect(w.get('[data-test="batch-preview-summary"]').text()).toContain('2 lines with problems')
  })
})

describe('NewBatchDialog', () => {
  async function open() {
    const pinia = createPinia()
    setActivePinia(pinia)
    const w = mount(NewBatchDialog, { attachTo: document.body, global: { plugins: [pinia] } })
    useUiStore().openNewBatch()
    await flushPromises()
    await nextTick()
    return w
  }
  const q = <T extends Element = HTMLElement>(sel: string) => document.body.querySelector<T>(sel)
  const startButton = () => q<HTMLButtonElement>('[data-test="start-batch"]')!

  it('previews the chosen file, keeps Start disabled while there are problems', async () => {
    const w = await open()
    vi.mocked(api.chooseSitesFile).mockResolvedValue('/tmp/bad.csv')
    vi.mocked(api.previewBatch).mockResolvedValue(
      preview({
        problems: [
          { line: 3, column: 'new_url', message: 'Enter the new URL' },
          { line: 0, column: 'source.host', message: "Enter the server's host name." },
        ],
      }),
    )
    expect(startButton().disabled).toBe(true)
    const dbHost = q<HTMLInputElement>('input[name="source.db.host"]')!
    dbHost.value = 'db.old.example'
    dbHost.dispatchEvent(new Event('input'))
    await nextTick()
    q<HTMLButtonElement>('[data-test="choose-sites"]')!.click()
    await flushPromises()
    await nextTick()
    const [shared, path] = vi.mocked(api.previewBatch).mock.calls[0]
    expect(path).toBe('/tmp/bad.csv')
    // The shared source database settings go along; each row names its database.
    expect(shared).toMatchObject({
      method: 'sftp',
      domain: '',
      source: { protocol: 'sftp', db: { host: 'db.old.example', fromWpConfig: false } },
    })
    expect(q('[data-line="3"] [data-col="new_url"]')?.classList).toContain('cell--bad')
    // A shared-setting problem shows under its field.
    expect(q('[data-field="source.host"]')?.textContent).toContain("Enter the server's host name.")
    expect(q('[data-test="batch-problem-count"]')?.textContent).toContain('2 problems')
    expect(startButton().disabled).toBe(true)
    w.unmount()
  })

  it('takes a dropped file, and starts the batch once every row passes', async () => {
    const w = await open()
    vi.mocked(api.previewBatch).mockResolvedValue(preview())
    vi.mocked(api.startBatch).mockResolvedValue({
      id: 1,
      name: 'sites',
      createdAt: 1,
      sites: 2,
      migrations: [1, 2],
      created: 2,
      retried: 0,
    })
    expect(dropped).toHaveLength(1)
    dropped[0](['/tmp/notes.txt', '/tmp/sites.csv'])
    await flushPromises()
    await nextTick()
    expect(vi.mocked(api.previewBatch).mock.calls[0][1]).toBe('/tmp/sites.csv')
    expect(q('[data-test="sites-path"]')?.textContent).toBe('sites.csv')
    expect(startButton().disabled).toBe(false)
    expect(startButton().textContent).toContain('Start 2 migrations')
    const name = q<HTMLInputElement>('input[name="batchName"]')!
    name.value = 'december'
    name.dispatchEvent(new Event('input'))
    await nextTick()
    vi.mocked(api.listBatches).mockResolvedValue([summary({ name: 'sites', sites: 2 })])
    // Enter in a field starts, as in the other dialogs.
    name.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await flushPromises()
    expect(api.startBatch).toHaveBeenCalledTimes(1)
    expect(vi.mocked(api.startBatch).mock.calls[0][0]).toMatchObject({
      name: 'december',
      sitesPath: '/tmp/sites.csv',
    })
    expect(useUiStore().newBatchOpen).toBe(false)
    expect(useMigrationsStore().batch).toBe('sites')
    w.unmount()
  })

  it('gives every site of an FTP batch the files-over-FTP choice, offered only for FTP or FTPS', async () => {
    const w = await open()
    vi.mocked(api.previewBatch).mockResolvedValue(preview())
    vi.mocked(api.startBatch).mockResolvedValue({
      id: 1,
      name: 'sites',
      createdAt: 1,
      sites: 2,
      migrations: [1, 2],
      created: 2,
      retried: 0,
    })
    const box = () => q('[data-test="batch-files-over-ftp-only"]')
    expect(box(), 'SFTP is picked first').toBeNull()
    q<HTMLButtonElement>('[data-test="batch-method-ftps"]')!.click()
    await nextTick()
    expect(box()!.getAttribute('aria-checked')).toBe('false')
    box()!.click()
    await nextTick()
    dropped[0](['/tmp/sites.csv'])
    await flushPromises()
    await nextTick()
    startButton().click()
    await flushPromises()
    const sent = vi.mocked(api.startBatch).mock.calls[0][0]
    expect(sent.shared.method).toBe('ftp')
    expect(sent.shared.source.protocol).toBe('ftps')
    expect(sent.shared.options.filesOverFtpOnly).toBe(true)
    w.unmount()
  })

  it('sends no files-over-FTP choice for an SFTP batch', async () => {
    const w = await open()
    vi.mocked(api.previewBatch).mockResolvedValue(preview())
    q<HTMLButtonElement>('[data-test="batch-method-ftp"]')!.click()
    await nextTick()
    q('[data-test="batch-files-over-ftp-only"]')!.click()
    q<HTMLButtonElement>('[data-test="batch-method-sftp"]')!.click()
    await nextTick()
    expect(q('[data-test="batch-files-over-ftp-only"]')).toBeNull()
    dropped[0](['/tmp/sites.csv'])
    await flushPromises()
    const [shared] = vi.mocked(api.previewBatch).mock.calls[0]
    expect(shared.options.filesOverFtpOnly).toBe(false)
    w.unmount()
  })
})
