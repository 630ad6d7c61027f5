// The migrations store holds the table: which tab, search, sort and page the admin is
// looking at, the rows of that page and the count of every tab. It refetches the page on
// `migration:changed` (debounced, so a burst of events costs one call) and patches live
// progress into the rows it already has.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as api from '../api'
import type {
  BulkResult,
  CreateInput,
  EndpointInput,
  ListQuery,
  MigrationDetail,
  MigrationRow,
  ProgressEvent,
  SortKey,
  Tab,
  TabCounts,
  UserDTO,
} from '../api'
import { ApiError } from '../api'

/** REFRESH_DELAY_MS coalesces bursts of change events into one refetch. */
export const REFRESH_DELAY_MS = 150

export const useMigrationsStore = defineStore('migrations', () => {
  const tab = ref<Tab>('in_progress')
  const search = ref('')
  /** batch limits the table to one batch's migrations (its name); '' shows all. */
  const batch = ref('')
  const sort = ref<SortKey>('id')
  const desc = ref(true)
  const page = ref(1)
  const pageSize = ref(50)

  const rows = ref<MigrationRow[]>([])
  const total = ref(0)
  const counts = ref<TabCounts>({ inProgress: 0, failed: 0, successful: 0 })
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<ApiError | null>(null)
  const checked = ref<number[]>([])

  let requestSeq = 0
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  const query = computed<ListQuery>(() => ({
    tab: tab.value,
    search: search.value.trim(),
    batch: batch.value,
    sort: sort.value,
    desc: desc.value,
    page: page.value,
    pageSize: pageSize.value,
  }))

  /** load fetches the current page; a response older than the latest request is ignored. */
  async function load() {
    const seq = ++requestSeq
    loading.value = true
    try {
      const res = await api.listMigrations(query.value)
      if (seq !== requestSeq) return
      rows.value = res.rows ?? []
      total.value = res.total
      counts.value = res.counts
      error.value = null
      loaded.value = true
      const present = new Set(rows.value.map((r) => r.id))
      checked.value = checked.value.filter((id) => present.has(id))
      // The page may have emptied (last row deleted): step back to the last page that exists.
      const lastPage = Math.max(1, Math.ceil(res.total / pageSize.value))
      if (page.value > lastPage) {
        page.value = lastPage
        await load()
      }
    } catch (e) {
      if (seq !== requestSeq) return
      error.value = api.toApiError(e)
    } finally {
      if (seq === requestSeq) loading.value = false
    }
  }

  /** scheduleRefresh reloads once after a quiet REFRESH_DELAY_MS. */
  function scheduleRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void load()
    }, REFRESH_DELAY_MS)
  }

  function cancelRefresh() {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = null
  }

  function setTab(t: Tab) {
    if (t === tab.value) return
    tab.value = t
    page.value = 1
    checked.value = []
    if (t === 'successful' && sort.value === 'id') {
      sort.value = 'completedAt'
      desc.value = true
    } else if (t !== 'successful' && sort.value === 'completedAt') {
      sort.value = 'id'
      desc.value = true
    }
    return load()
  }

  function setSearch(s: string) {
    if (s === search.value) return
    search.value = s
    page.value = 1
    return load()
  }

  function setBatch(name: string) {
    if (name === batch.value) return
    batch.value = name
    page.value = 1
    checked.value = []
    return load()
  }

  function setSort(key: SortKey, descending: boolean) {
    sort.value = key
    desc.value = descending
    page.value = 1
    return load()
  }

  function setPage(p: number) {
    page.value = p
    return load()
  }

  function setPageSize(n: number) {
    pageSize.value = n
    page.value = 1
    return load()
  }

  function setChecked(ids: number[]) {
    checked.value = ids
  }

  /** applyProgress patches live progress into a visible row without a refetch. */
  function applyProgress(p: ProgressEvent) {
    const row = rows.value.find((r) => r.id === p.id)
    if (!row || row.status !== 'running') return
    if (row.currentStep && p.step && p.step !== row.currentStep) return // a step running alongside
    row.progress = { percent: p.percent, speed: p.speed, etaSeconds: p.etaSeconds }
  }

  async function remove(ids: number[]): Promise<BulkResult> {
    const res = await api.deleteMigrations(ids)
    checked.value = checked.value.filter((id) => !res.done.includes(id))
    await load()
    return res
  }

  async function stop(id: number): Promise<MigrationRow> {
    const row = await api.stopMigration(id)
    await load()
    return row
  }

  async function retry(id: number, fromStart: boolean): Promise<MigrationRow> {
    const row = await api.retryMigration(id, fromStart)
    await load()
    return row
  }

  async function retryMany(ids: number[]): Promise<BulkResult> {
    const res = await api.retryMigrations(ids)
    checked.value = checked.value.filter((id) => !res.done.includes(id))
    await load()
    return res
  }

  /**
   * userMigrations lists one owner's migrations across the three tabs (newest first),
   * searching by e-mail address; at most 100 per tab.
   */
  async function userMigrations(email: string): Promise<MigrationRow[]> {
    const tabs: Tab[] = ['in_progress', 'failed', 'successful']
    const pages = await Promise.all(
      tabs.map((t) =>
        api.listMigrations({
          tab: t,
          search: email,
          sort: 'id',
          desc: true,
          page: 1,
          pageSize: 100,
        }),
      ),
    )
    return pages
      .flatMap((p) => p.rows ?? [])
      .filter((r) => r.user.email.toLowerCase() === email.toLowerCase())
      .sort((a, b) => b.id - a.id)
  }

  async function markSuccessful(id: number): Promise<MigrationRow> {
    const row = await api.markSuccessful(id)
    await load()
    return row
  }

  async function markFailed(id: number): Promise<MigrationRow> {
    const row = await api.markFailed(id)
    await load()
    return row
  }

  /** create creates a migration; an invalid_input ApiError carries the per-field messages. */
  async function create(input: CreateInput): Promise<MigrationDetail> {
    const detail = await api.createMigration(input)
    await load()
    return detail
  }

  /** testConnection tries a source or destination as typed in the New migration form. */
  function testConnection(side: 'source' | 'destination', input: EndpointInput) {
    return api.testConnection(side, input)
  }

  /** testEditedConnection is testConnection for the Edit form: empty secrets are kept ones. */
  function testEditedConnection(id: number, side: 'source' | 'destination', input: EndpointInput) {
    return api.testEditedConnection(id, side, input)
  }

  /** get reads one migration's details (the Edit form opens on them). */
  function get(id: number) {
    return api.getMigration(id)
  }

  /** edit saves the Edit form of migration id and refreshes the table. */
  async function edit(id: number, input: CreateInput) {
    const res = await api.editMigration(id, input)
    void load()
    return res
  }

  /** chooseKeyFile asks for a private key file and returns its text ('' when cancelled). */
  function chooseKeyFile() {
    return api.chooseKeyFile()
  }

  async function serviceSuggestions(prefix: string): Promise<string[]> {
    try {
      return await api.listServices(prefix)
    } catch {
      return [] // suggestions are a convenience: never block the form on them
    }
  }

  async function userSuggestions(search: string): Promise<UserDTO[]> {
    try {
      return await api.listUsers(search)
    } catch {
      return []
    }
  }

  function rowById(id: number): MigrationRow | undefined {
    return rows.value.find((r) => r.id === id)
  }

  return {
    tab,
    search,
    batch,
    sort,
    desc,
    page,
    pageSize,
    rows,
    total,
    counts,
    loading,
    loaded,
    error,
    checked,
    query,
    load,
    scheduleRefresh,
    cancelRefresh,
    setTab,
    setSearch,
    setBatch,
    setSort,
    setPage,
    setPageSize,
    setChecked,
    applyProgress,
    remove,
    stop,
    retry,
    retryMany,
    userMigrations,
    markSuccessful,
    markFailed,
    create,
    serviceSuggestions,
    userSuggestions,
    testConnection,
    testEditedConnection,
    edit,
    get,
    chooseKeyFile,
    rowById,
  }
})
