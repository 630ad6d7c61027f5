// The batches store holds what the window shows of batches: the list for the "Batch:"
// filter, the summary bar of the batch the table is filtered on, its bulk actions, and the
// New batch dialog's preview and start. The table's own filter lives in the migrations store.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as api from '../api'
import type { BatchPreview, BatchSummary, BulkResult, CreateInput } from '../api'
import { useActionsStore } from './actions'
import { useMigrationsStore } from './migrations'
import { useUiStore } from './ui'

/** BATCH_REFRESH_MS coalesces bursts of change events into one refetch. */
export const BATCH_REFRESH_MS = 400
/** LIST_EVERY_MS is how often change events re-read the whole list of batches. */
export const LIST_EVERY_MS = 10_000

export type ReportFormat = 'csv' | 'json' | 'pdf'

export const useBatchesStore = defineStore('batches', () => {
  const list = ref<BatchSummary[]>([])
  const summary = ref<BatchSummary | null>(null)
  const busy = ref(false)
  let timer: ReturnType<typeof setTimeout> | null = null
  let seq = 0
  let listedAt = 0

  /**
   * load refreshes the list and, when the table is filtered on a batch, its summary. The
   * list counts every site of every batch (about 60 ms for 500 sites), so the refreshes
   * that follow change events (quick=true) re-read it at most every LIST_EVERY_MS and
   * otherwise only the selected batch's summary.
   */
  async function load(quick = false) {
    const migrations = useMigrationsStore()
    const mine = ++seq
    try {
      if (!quick || Date.now() - listedAt >= LIST_EVERY_MS) {
        const all = await api.listBatches()
        if (mine !== seq) return
        list.value = all
        listedAt = Date.now()
      }
      const name = migrations.batch
      if (!name) {
        summary.value = null
        return
      }
      // A batch that no longer exists drops the filter rather than showing an empty table.
      if (!list.value.some((b) => b.name === name)) {
        summary.value = null
        await migrations.setBatch('')
        return
      }
      const s = await api.batchSummary(name)
      if (mine === seq) summary.value = s
    } catch (e) {
      if (mine === seq) useActionsStore().report(e)
    }
  }

  function scheduleRefresh() {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      void load(true)
    }, BATCH_REFRESH_MS)
  }

  function cancelRefresh() {
    if (timer) clearTimeout(timer)
    timer = null
  }

  /** select filters the table on a batch ('' for all) and shows its summary bar. */
  async function select(name: string) {
    const migrations = useMigrationsStore()
    if (!name) summary.value = null
    await migrations.setBatch(name)
    await load()
  }

  function outcome(verb: string, res: BulkResult) {
    const ui = useUiStore()
    const n = res.done.length
    const refused = Object.keys(res.failed ?? {}).length
    const text = `${verb} ${n} migration${n === 1 ? '' : 's'}`
    if (refused)
      ui.notify('warning', `${text}; ${refused} refused: ${Object.values(res.failed)[0]}`)
    else ui.notify('success', text)
  }

  async function retryFailed(): Promise<boolean> {
    const s = summary.value
    if (!s || busy.value) return false
    busy.value = true
    try {
      outcome('Retried', await api.retryFailedInBatch(s.name))
      return true
    } catch (e) {
      useActionsStore().report(e)
      return false
    } finally {
      busy.value = false
      await refreshAll()
    }
  }

  /** stopAll asks first: every migration of the batch still in progress is stopped. */
  async function stopAll(): Promise<boolean> {
    const s = summary.value
    if (!s || busy.value) return false
    const ui = useUiStore()
    const left = s.running + s.waiting
    const ok = await ui.ask({
      title: 'Stop the batch',
      message: `Stop the ${left} migration${left === 1 ? '' : 's'} of batch “${s.name}” still running or waiting? Each moves to Failed with “Stopped by admin” and keeps its staging files, so Retry failed resumes them where they stopped.`,
      confirmText: 'Stop all',
      danger: true,
    })
    if (!ok) return false
    busy.value = true
    try {
      outcome('Stopped', await api.stopBatch(s.name))
      return true
    } catch (e) {
      useActionsStore().report(e)
      return false
    } finally {
      busy.value = false
      await refreshAll()
    }
  }

  /** exportReport asks where to save the batch's report and writes it there. */
  async function exportReport(format: ReportFormat): Promise<boolean> {
    const s = summary.value
    if (!s) return false
    const ui = useUiStore()
    try {
      const path = await api.chooseSavePath(
        'Export batch report',
        `ferry-batch-${s.name}.${format}`,
      )
      if (!path) return false
      const res = await api.batchReport(s.name, format, path)
      ui.notify(
        'success',
        `Report of ${res.count} site${res.count === 1 ? '' : 's'} saved to ${res.path}`,
      )
      return true
    } catch (e) {
      useActionsStore().report(e)
      return false
    }
  }

  async function refreshAll() {
    await Promise.all([useMigrationsStore().load(), load()])
  }

  /** preview reads and checks a sites file; problems come back in the preview, not thrown. */
  function preview(shared: CreateInput, path: string): Promise<BatchPreview> {
    return api.previewBatch(shared, path)
  }

  /** start creates the batch and filters the table on it, so its summary bar shows at once. */
  async function start(name: string, shared: CreateInput, sitesPath: string) {
    const b = await api.startBatch({ name, shared, sitesPath })
    const migrations = useMigrationsStore()
    await migrations.setTab('in_progress')
    await select(b.name)
    return b
  }

  function chooseSitesFile() {
    return api.chooseSitesFile()
  }

  return {
    list,
    summary,
    busy,
    load,
    scheduleRefresh,
    cancelRefresh,
    select,
    retryFailed,
    stopAll,
    exportReport,
    preview,
    start,
    chooseSitesFile,
  }
})
