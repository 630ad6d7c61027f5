// The ui store owns every dialog, the details modal and the user side panel, so any
// component (or a keyboard shortcut) can open one and exactly one of each is ever mounted.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { UserDTO } from '../api'

export type DetailsTab = 'steps' | 'logs' | 'process' | 'source' | 'destination'

export interface ConfirmRequest {
  title: string
  message: string
  confirmText: string
  /** danger paints the confirm button red (delete, stop). */
  danger: boolean
  /** option, when set, adds a checkbox with this label (e.g. "Retry from start"). */
  option?: string
}

export interface ConfirmAnswer {
  ok: boolean
  /** checked is the state of the option checkbox. */
  checked: boolean
}

/** ExportRequest is what the Export dialog exports: the selected rows, or a search. */
export interface ExportRequest {
  ids: number[]
  search: string
}

export interface Notice {
  id: number
  type: 'success' | 'error' | 'info' | 'warning'
  text: string
}

export const useUiStore = defineStore('ui', () => {
  const newMigrationOpen = ref(false)
  const newBatchOpen = ref(false)
  /** editId is the migration the Edit dialog is open on, or null. */
  const editId = ref<number | null>(null)
  const settingsOpen = ref(false)
  const exportRequest = ref<ExportRequest | null>(null)
  const userPanel = ref<UserDTO | null>(null)
  const detailsId = ref<number | null>(null)
  const detailsTab = ref<DetailsTab>('steps')
  const confirm = ref<ConfirmRequest | null>(null)
  const confirmChecked = ref(false)
  const notices = ref<Notice[]>([])
  let resolveConfirm: ((a: ConfirmAnswer) => void) | null = null
  let noticeSeq = 0

  function openNewMigration() {
    newMigrationOpen.value = true
  }
  function closeNewMigration() {
    newMigrationOpen.value = false
  }
  function openNewBatch() {
    newBatchOpen.value = true
  }
  function closeNewBatch() {
    newBatchOpen.value = false
  }
  function openEdit(id: number) {
    editId.value = id
  }
  function closeEdit() {
    editId.value = null
  }
  function openSettings() {
    settingsOpen.value = true
  }
  function closeSettings() {
    settingsOpen.value = false
  }
  function openExport(req: ExportRequest) {
    exportRequest.value = req
  }
  function closeExport() {
    exportRequest.value = null
  }
  function openUser(u: UserDTO) {
    userPanel.value = u
  }
  function closeUser() {
    userPanel.value = null
  }

  function openDetails(id: number, tab: DetailsTab = 'steps') {
    detailsId.value = id
    detailsTab.value = tab
  }
  function closeDetails() {
    detailsId.value = null
  }

  /** choose shows the confirmation dialog and resolves with the answer and the option. */
  function choose(req: Partial<ConfirmRequest> & { title: string; message: string }) {
    resolveConfirm?.({ ok: false, checked: false })
    confirmChecked.value = false
    confirm.value = { confirmText: 'Confirm', danger: false, ...req }
    return new Promise<ConfirmAnswer>((resolve) => {
      resolveConfirm = resolve
    })
  }
  /** ask shows the confirmation dialog and resolves true when the admin confirms. */
  async function ask(req: Partial<ConfirmRequest> & { title: string; message: string }) {
    return (await choose(req)).ok
  }
  function answer(ok: boolean) {
    const r = resolveConfirm
    const checked = confirmChecked.value
    resolveConfirm = null
    confirm.value = null
    r?.({ ok, checked: ok && checked })
  }

  function notify(type: Notice['type'], text: string) {
    notices.value.push({ id: ++noticeSeq, type, text })
  }
  function takeNotices(): Notice[] {
    const out = notices.value
    notices.value = []
    return out
  }

  /** anyOpen is true while a dialog, the modal or the side panel has the keyboard. */
  function anyOpen() {
    return (
      newMigrationOpen.value ||
      newBatchOpen.value ||
      editId.value !== null ||
      settingsOpen.value ||
      exportRequest.value !== null ||
      detailsId.value !== null ||
      confirm.value !== null
    )
  }

  return {
    newMigrationOpen,
    newBatchOpen,
    editId,
    settingsOpen,
    exportRequest,
    userPanel,
    detailsId,
    detailsTab,
    confirm,
    confirmChecked,
    notices,
    openNewMigration,
    closeNewMigration,
    openNewBatch,
    closeNewBatch,
    openEdit,
    closeEdit,
    openSettings,
    closeSettings,
    openExport,
    closeExport,
    openUser,
    closeUser,
    openDetails,
    closeDetails,
    choose,
    ask,
    answer,
    notify,
    takeNotices,
    anyOpen,
  }
})
