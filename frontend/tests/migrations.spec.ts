import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as api from '../src/api'
import { REFRESH_DELAY_MS, useMigrationsStore } from '../src/stores/migrations'
import { page, row } from './fixtures'

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    listMigrations: vi.fn(),
    deleteMigrations: vi.fn(),
    markFailed: vi.fn(),
    listServices: vi.fn(),
  }
})

const list = vi.mocked(api.listMigrations)

beforeEach(() => {
  setActivePinia(createPinia())
  list.mockReset()
})
afterEach(() => vi.useRealTimers())

describe('migrations store', () => {
  it('loads the page of the current tab, search, sort and page size', async () => {
    list.mockResolvedValue(page([row()], { counts: { inProgress: 1, failed: 4, successful: 9 } }))
    const s = useMigrationsStore()
    await s.setSearch('  jane ')
    expect(list).toHaveBeenLastCalledWith({
      tab: 'in_progress',
      search: 'jane',
      batch: '',
      sort: 'id',
      desc: true,
      page: 1,
      pageSize: 50,
    })
    expect(s.rows).toHaveLength(1)
    expect(s.counts).toEqual({ inProgress: 1, failed: 4, successful: 9 })
  })

  it('switching tab resets page and selection and sorts Successful by completion', async () => {
    list.mockResolvedValue(page([]))
    const s = useMigrationsStore()
    s.page = 3
    s.setChecked([1, 2])
    await s.setTab('successful')
    expect(s.page).toBe(1)
    expect(s.checked).toEqual([])
    expect(list.mock.calls[0][0]).toMatchObject({ tab: 'successful', sort: 'completedAt' })
  })

  it('ignores a response that arrives after a newer request', async () => {
    let resolveOld!: (v: api.ListResult) => void
    list.mockImplementationOnce(() => new Promise((r) => (resolveOld = r)))
    list.mockResolvedValueOnce(page([row({ id: 2, domain: 'new.example' })]))
    const s = useMigrationsStore()
    const old = s.load()
    await s.load()
    resolveOld(page([row({ id: 1, domain: 'old.example' })]))
    await old
    expect(s.rows.map((r) => r.domain)).toEqual(['new.example'])
  })

  it('coalesces a burst of change events into one refetch', async () => {
    vi.useFakeTimers()
    list.mockResolvedValue(page([]))
    const s = useMigrationsStore()
    for (let i = 0; i < 20; i++) s.scheduleRefresh()
    expect(list).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(REFRESH_DELAY_MS + 1)
    expect(list).toHaveBeenCalledTimes(1)
  })

  it('steps back a page when the last row of the last page went away', async () => {
    list.mockResolvedValueOnce(page([], { total: 50 }))
    list.mockResolvedValueOnce(page([row()], { total: 50 }))
    const s = useMigrationsStore()
    await s.setPage(2)
    expect(s.page).toBe(1)
    expect(list).toHaveBeenCalledTimes(2)
    expect(list.mock.calls[1][0].page).toBe(1)
  })

  it('patches live progress into a running row only', async () => {
    list.mockResolvedValue(
      page([
        row({ id: 1, status: 'running', currentStep: 'upload_files' }),
        row({ id: 2, status: 'waiting' }),
      ]),
    )
    const s = useMigrationsStore()
    await s.load()
    const p = {
      bytesDone: 0,
      bytesTotal: 0,
      filesDone: 0,
      filesTotal: 0,
      rowsDone: 0,
      rowsTotal: 0,
    }
    s.applyProgress({ id: 1, step: 'upload_files', percent: 42, speed: 1024, etaSeconds: 9, ...p })
    s.applyProgress({ id: 2, step: 'upload_files', percent: 77, speed: 1, etaSeconds: 1, ...p })
    expect(s.rowById(1)?.progress).toEqual({ percent: 42, speed: 1024, etaSeconds: 9 })
    expect(s.rowById(2)?.progress).toBeFalsy()
    // A step running alongside (the import during the upload) does not take the row over.
    s.applyProgress({ id: 1, step: 'import_database', percent: 5, speed: 1, etaSeconds: 1, ...p })
    expect(s.rowById(1)?.progress?.percent).toBe(42)
  })

  it('keeps the error of a failed load for the table to show', async () => {
    list.mockRejectedValue(new api.ApiError('internal', 'disk full'))
    const s = useMigrationsStore()
    await s.load()
    expect(s.error?.message).toBe('disk full')
  })
})
