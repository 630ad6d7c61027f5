// The live store routes backend events into the other stores: one subscription per event
// name, started once by the app shell and removed when it unmounts. It also keeps the
// desktop informed: the window title counts migrations that need the admin
// ("Ferry (1 needs action)"), and a toast says when a migration finishes, fails or waits.
// After a gap (the window was hidden or lost its connection) it rebuilds from the backend.
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import * as api from '../api'
import { useBatchesStore } from './batches'
import { useDetailsStore } from './details'
import { useMigrationsStore } from './migrations'
import { useUiStore } from './ui'

/** titleFor is the window title for a number of migrations waiting for the admin. */
export function titleFor(needsAction: number): string {
  if (needsAction <= 0) return 'Ferry'
  return `Ferry (${needsAction} need${needsAction === 1 ? 's' : ''} action)`
}

const active = new Set(['queued', 'running', 'waiting'])

export const useLiveStore = defineStore('live', () => {
  let offs: Array<() => void> = []
  /** statuses remembers the last status seen per migration, to notice transitions. */
  const statuses = new Map<number, string>()
  const waiting = ref<Set<number>>(new Set())
  const needsAction = computed(() => waiting.value.size)

  function setWaiting(id: number, yes: boolean) {
    if (yes === waiting.value.has(id)) return
    const next = new Set(waiting.value)
    if (yes) next.add(id)
    else next.delete(id)
    waiting.value = next
  }

  function onChanged(e: api.ChangedEvent) {
    const migrations = useMigrationsStore()
    const details = useDetailsStore()
    const ui = useUiStore()
    migrations.scheduleRefresh()
    useBatchesStore().scheduleRefresh()
    if (details.id === e.id) {
      if (e.deleted) details.close()
      else void details.refresh()
    }
    const before = statuses.get(e.id)
    if (e.deleted) {
      statuses.delete(e.id)
      setWaiting(e.id, false)
      return
    }
    statuses.set(e.id, e.status)
    setWaiting(e.id, e.status === 'waiting')
    if (before === e.status || (before !== undefined && !active.has(before))) return
    if (e.status === 'successful') ui.notify('success', `Migration #${e.id} completed`)
    else if (e.status === 'failed' && before !== undefined)
      ui.notify('error', `Migration #${e.id} failed: open it to see why`)
    else if (e.status === 'waiting') ui.notify('warning', `Migration #${e.id} needs your action`)
  }

  /** resync rebuilds the table and the open details after events may have been missed. */
  function resync() {
    const migrations = useMigrationsStore()
    const details = useDetailsStore()
    void migrations.load()
    void useBatchesStore().load()
    if (details.id !== null) {
      void details.refresh()
      void details.fetchLogs()
    }
  }
  function onVisible() {
    if (document.visibilityState === 'visible') resync()
  }

  function start() {
    if (offs.length) return
    const migrations = useMigrationsStore()
    const details = useDetailsStore()
    offs = [
      api.onEvent(api.EVENT_CHANGED, onChanged),
      api.onEvent(api.EVENT_PROGRESS, (p) => {
        migrations.applyProgress(p)
        details.applyProgress(p)
      }),
      api.onEvent(api.EVENT_LOG, (l) => {
        if (details.id === l.id) void details.fetchLogs()
      }),
    ]
    document.addEventListener('visibilitychange', onVisible)
    window.addEventListener('online', resync)
    offs.push(() => {
      document.removeEventListener('visibilitychange', onVisible)
      window.removeEventListener('online', resync)
    })
    // Rows the table loads tell which migrations wait for the admin right now.
    offs.push(
      watch(
        () => migrations.rows,
        (rows) => {
          for (const r of rows) {
            statuses.set(r.id, r.status)
            setWaiting(r.id, r.actionRequired && r.tab === 'in_progress')
          }
        },
      ),
    )
    offs.push(watch(needsAction, (n) => api.setWindowTitle(titleFor(n)), { immediate: true }))
  }

  function stop() {
    for (const off of offs) off()
    offs = []
    useMigrationsStore().cancelRefresh()
    useBatchesStore().cancelRefresh()
  }

  function isActive() {
    return offs.length > 0
  }

  return { start, stop, active: isActive, needsAction, resync }
})
