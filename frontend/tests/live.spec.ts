import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as api from '../src/api'
import { useDetailsStore } from '../src/stores/details'
import { useLiveStore } from '../src/stores/live'
import { useMigrationsStore } from '../src/stores/migrations'

type Handler = (payload: unknown) => void
const handlers = new Map<string, Handler[]>()
const offs: string[] = []

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return {
    ...real,
    onEvent: vi.fn((name: string, h: Handler) => {
      handlers.set(name, [...(handlers.get(name) ?? []), h])
      return () => {
        offs.push(name)
        handlers.set(
          name,
          (handlers.get(name) ?? []).filter((x) => x !== h),
        )
      }
    }),
    listMigrations: vi.fn(),
    getMigration: vi.fn(),
    getLogs: vi.fn(),
  }
})

function emit(name: string, payload: unknown) {
  for (const h of handlers.get(name) ?? []) h(payload)
}

beforeEach(() => {
  setActivePinia(createPinia())
  handlers.clear()
  offs.length = 0
  vi.mocked(api.onEvent).mockClear()
})

describe('live store', () => {
  it('subscribes once per event name however often it is started', () => {
    const live = useLiveStore()
    live.start()
    live.start()
    expect(
      vi
        .mocked(api.onEvent)
        .mock.calls.map((c) => c[0])
        .sort(),
    ).toEqual(['migration:changed', 'migration:log', 'migration:progress'])
  })

  it('routes changed events to a debounced refresh and stop removes every subscription', () => {
    const live = useLiveStore()
    const migrations = useMigrationsStore()
    const refresh = vi.spyOn(migrations, 'scheduleRefresh')
    live.start()
    emit('migration:changed', { id: 1, status: 'running', step: '', deleted: false })
    expect(refresh).toHaveBeenCalledTimes(1)
    live.stop()
    expect(offs.sort()).toEqual(['migration:changed', 'migration:log', 'migration:progress'])
    emit('migration:changed', { id: 1, status: 'running', step: '', deleted: false })
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(live.active()).toBe(false)
  })

  it('refetches the open migration and closes it when it is deleted', async () => {
    vi.mocked(api.getMigration).mockResolvedValue({ id: 5 } as api.MigrationDetail)
    vi.mocked(api.getLogs).mockResolvedValue([])
    const live = useLiveStore()
    const details = useDetailsStore()
    live.start()
    await details.open(5)
    expect(api.getMigration).toHaveBeenCalledTimes(1)
    emit('migration:changed', { id: 6, status: 'running', step: '', deleted: false })
    expect(api.getMigration).toHaveBeenCalledTimes(1)
    emit('migration:changed', { id: 5, status: 'failed', step: '', deleted: false })
    expect(api.getMigration).toHaveBeenCalledTimes(2)
    emit('migration:changed', { id: 5, status: 'failed', step: '', deleted: true })
    expect(details.id).toBeNull()
  })
})
