// The details store holds the migration shown in the details modal: its detail, its full
// log, the live progress of its running step, the last Verify of a manual migration and
// any secret the admin chose to reveal. It follows the migration live.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as api from '../api'
import type { LogDTO, MigrationDetail, ProgressEvent, VerifyReport } from '../api'
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
  const progress = ref<ProgressEvent | null>(null)
  // ahead holds the progress of steps running alongside the current one (the upload
  // during Download files, the database export and import), by step.
  const ahead = ref<Record<string, ProgressEvent>>({})
  const verify = ref<VerifyReport | null>(null)
  const verifying = ref(false)
  const attaching = ref(false)
  const attachErrors = ref<Record<string, string>>({})
  let seq = 0
  let logsBusy = false
  let logsAgain = false

  async function open(migrationId: number) {
    id.value = migrationId
    detail.value = null
    logs.value = []
    revealed.value = {}
    progress.value = null
    ahead.value = {}
    verify.value = null
    attachErrors.value = {}
    error.value = null
    await refresh()
    await Promise.all([fetchLogs(), loadVerify()])
  }

  function close() {
    id.value = null
    detail.value = null
    logs.value = []
    revealed.value = {}
    progress.value = null
    ahead.value = {}
    verify.value = null
    attachErrors.value = {}
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
      if (progress.value && progress.value.step !== d.currentStep) progress.value = null
      // A step's progress stays "ahead" only until its turn comes or it ends.
      const waiting = new Set(d.steps.filter((s) => s.state === 'not_started').map((s) => s.id))
      ahead.value = Object.fromEntries(
        Object.entries(ahead.value).filter(([step]) => waiting.has(step) && step !== d.currentStep),
      )
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

  /**
   * applyProgress keeps the live progress of the shown migration's running step, and of
   * the steps running alongside it.
   */
  function applyProgress(p: ProgressEvent) {
    if (p.id !== id.value) return
    const d = detail.value
    const early =
      d &&
      p.step !== d.currentStep &&
      d.steps.some((s) => s.id === p.step && s.state === 'not_started')
    if (early) ahead.value = { ...ahead.value, [p.step]: p }
    else progress.value = p
  }

  async function loadVerify() {
    const want = id.value
    if (want === null || detail.value?.method !== 'manual') return
    try {
      const rep = await api.lastVerify(want)
      if (id.value === want && !verifying.value) verify.value = rep
    } catch {
      // no report yet is not an error worth showing
    }
  }

  /**
   * attach attaches files (absolute paths from a drop or the file dialog). Files it
   * refused are listed in attachErrors with the reason. Once both files are there, Verify
   * runs on its own.
   */
  async function attach(paths: string[]): Promise<boolean> {
    const want = id.value
    if (want === null || !paths.length) return false
    attaching.value = true
    attachErrors.value = {}
    try {
      detail.value = await api.attachFiles(want, paths)
      verify.value = null
    } catch (e) {
      const err = api.toApiError(e)
      if (err.code === 'invalid_input' && Object.keys(err.fields).length) {
        attachErrors.value = err.fields
      } else {
        attachErrors.value = { '': err.message }
      }
      await refresh()
      return false
    } finally {
      attaching.value = false
    }
    if (id.value === want && bothAttached()) await runVerify()
    return true
  }

  /** bothAttached says whether the site zip and a database dump are attached. */
  function bothAttached(): boolean {
    const files = detail.value?.files ?? []
    return files.some((f) => f.kind === 'site_zip') && files.some((f) => f.kind !== 'site_zip')
  }

  async function runVerify(): Promise<VerifyReport | null> {
    const want = id.value
    if (want === null) return null
    verifying.value = true
    verify.value = null
    try {
      const rep = await api.verifyMigration(want)
      if (id.value === want) verify.value = rep
      return rep
    } catch (e) {
      if (id.value === want) error.value = api.toApiError(e)
      throw e
    } finally {
      verifying.value = false
      if (id.value === want) await refresh()
    }
  }

  async function continueImport() {
    if (id.value === null) return
    await api.continueImport(id.value)
    await refresh()
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
    progress,
    ahead,
    verify,
    verifying,
    attaching,
    attachErrors,
    open,
    close,
    refresh,
    fetchLogs,
    reveal,
    hide,
    applyProgress,
    loadVerify,
    attach,
    bothAttached,
    runVerify,
    continueImport,
  }
})
