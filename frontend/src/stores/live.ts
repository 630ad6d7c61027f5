// The live store routes backend events into the other stores: one subscription per event
// name, started once by the app shell and removed when it unmounts.
import { defineStore } from 'pinia'
import * as api from '../api'
import { useDetailsStore } from './details'
import { useMigrationsStore } from './migrations'

export const useLiveStore = defineStore('live', () => {
  let offs: Array<() => void> = []

  function start() {
    if (offs.length) return
    const migrations = useMigrationsStore()
    const details = useDetailsStore()
    offs = [
      api.onEvent(api.EVENT_CHANGED, (e) => {
        migrations.scheduleRefresh()
        if (details.id === e.id) {
          if (e.deleted) details.close()
          else void details.refresh()
        }
      }),
      api.onEvent(api.EVENT_PROGRESS, (p) => migrations.applyProgress(p)),
      api.onEvent(api.EVENT_LOG, (l) => {
        if (details.id === l.id) void details.fetchLogs()
      }),
    ]
  }

  function stop() {
    for (const off of offs) off()
    offs = []
    useMigrationsStore().cancelRefresh()
  }

  function active() {
    return offs.length > 0
  }

  return { start, stop, active }
})
