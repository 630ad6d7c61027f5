// The details store holds the migration shown in the details modal: its detail, its full
// log and any secret the admin chose to reveal. It follows the migration live.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as api from '../api'
import type { LogDTO, MigrationDetail } from '../api'
import { ApiError } from '../api'

/** LOG_PAGE is how many log lines one GetLogs call fetches. */
export const LOG_PAGE = 1000

export const useDetailsStore = defineStore('details', () => {
  const id = ref<number | null>(null)
  const detail = ref<MigrationDetail | null>(null)
  const logs = ref<LogDTO[]>([])
  const loading = ref(false)
  const error = ref<ApiError | null>(null)
  const revealed = ref<Record<string, string>>({})
  let seq = 0
  let logsBusy = false
  let logsAgain = false

  async function open(migrationId: number) {
    id.value = migrationId
    detail.value = null
    logs.value = []
    revealed.value = {}
    error.value = null
    await refresh()
    await fetchLogs()
  }

  function close() {
    id.value = null
    detail.value = null
    logs.value = []
    revealed.value = {}
    seq++
  }

  async function refresh() {
    if (id.value === null) return
    const mine = ++seq
    const want = id.value
    loading.value = true
    try {
      const d = await api.getMigration(want)
      if (mine !== seq) return
      detail.value = d
      error.value = null
    } catch (e) {
      if (mine !== seq) return
      error.value = api.toApiError(e)
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  /** fetchLogs appends the lines written after the last one shown; calls never overlap. */
  async function fetchLogs() {
    if (id.value === null) return
    if (logsBusy) {
      logsAgain = true
      return
    }
    logsBusy = true
    const want = id.value
    try {
      for (;;) {
        const after = logs.value.length ? logs.value[logs.value.length - 1].seq : 0
        const page = await api.getLogs(want, after, LOG_PAGE)
        if (id.value !== want) return
        if (page?.length) logs.value = logs.value.concat(page)
        if (!page || page.length < LOG_PAGE) break
      }
    } catch (e) {
      if (id.value === want) error.value = api.toApiError(e)
    } finally {
      logsBusy = false
      if (logsAgain) {
        logsAgain = false
        void fetchLogs()
      }
    }
  }

  /** reveal fetches one secret in clear (field is a JSON path such as "destination.password"). */
  async function reveal(field: string) {
    if (id.value === null) return
    const value = await api.revealSecret(id.value, field)
    revealed.value = { ...revealed.value, [field]: value }
  }

  function hide(field: string) {
    const next = { ...revealed.value }
    delete next[field]
    revealed.value = next
  }

  return {
    id,
    detail,
    logs,
    loading,
    error,
    revealed,
    open,
    close,
    refresh,
    fetchLogs,
    reveal,
    hide,
  }
})
