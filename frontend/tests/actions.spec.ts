import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as api from '../src/api'
import { available, useActionsStore } from '../src/stores/actions'
import { useUiStore } from '../src/stores/ui'
import { page, row } from './fixtures'

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    listMigrations: vi.fn(),
    deleteMigrations: vi.fn(),
    markSuccessful: vi.fn(),
  }
})

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(api.listMigrations).mockResolvedValue(page([]))
  vi.mocked(api.deleteMigrations).mockReset()
  vi.mocked(api.markSuccessful).mockReset()
})

describe('actions store', () => {
  it('asks before deleting, naming the migration, and deletes on confirm', async () => {
    vi.mocked(api.deleteMigrations).mockResolvedValue({ done: [12], failed: {} })
    const ui = useUiStore()
    const done = useActionsStore().remove([row()])
    expect(ui.confirm?.message).toBe(
      'Delete migration #12 (example.com)? Its history, logs and local staging files are removed. Nothing on the source or destination servers is touched.',
    )
    expect(api.deleteMigrations).not.toHaveBeenCalled()
    ui.answer(true)
    expect(await done).toBe(true)
    expect(api.deleteMigrations).toHaveBeenCalledWith([12])
    expect(ui.notices.at(-1)?.type).toBe('success')
  })

  it('does nothing when the admin cancels', async () => {
    const ui = useUiStore()
    const done = useActionsStore().remove([row()])
    ui.answer(false)
    expect(await done).toBe(false)
    expect(api.deleteMigrations).not.toHaveBeenCalled()
  })

  it('names the count in a bulk delete and reports refused rows', async () => {
    vi.mocked(api.deleteMigrations).mockResolvedValue({ done: [1, 2], failed: { 3: 'busy' } })
    const ui = useUiStore()
    const done = useActionsStore().remove([row({ id: 1 }), row({ id: 2 }), row({ id: 3 })])
    expect(ui.confirm?.title).toBe('Delete 3 migrations')
    ui.answer(true)
    await done
    expect(ui.notices.at(-1)).toMatchObject({ type: 'warning' })
    expect(ui.notices.at(-1)?.text).toMatch(/#3 busy/)
  })

  it('shows a refused action by its code', async () => {
    vi.mocked(api.markSuccessful).mockRejectedValue(
      new api.ApiError('not_allowed', 'only a failed migration can be marked as successful'),
    )
    const ui = useUiStore()
    const done = useActionsStore().markSuccessful(row())
    ui.answer(true)
    expect(await done).toBe(false)
    expect(ui.notices.at(-1)).toEqual(
      expect.objectContaining({
        type: 'warning',
        text: 'only a failed migration can be marked as successful',
      }),
    )
  })

  it('offers only actions the backend allows and this build can perform', () => {
    expect(available(row({ actions: ['show', 'stop', 'launch', 'delete'] }))).toEqual([
      'show',
      'stop',
      'delete',
    ])
    expect(available(row({ actions: ['show', 'mark_successful', 'delete'] }))).toEqual([
      'show',
      'mark_successful',
      'delete',
    ])
  })
})
