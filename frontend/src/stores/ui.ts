// The ui store owns every dialog and the details modal, so any component (or a keyboard
// shortcut) can open one and exactly one of each is ever mounted.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export type DetailsTab = 'steps' | 'logs' | 'process' | 'source' | 'destination'

export interface ConfirmRequest {
  title: string
  message: string
  confirmText: string
  /** danger paints the confirm button red (delete, stop). */
  danger: boolean
}

export interface Notice {
  id: number
  type: 'success' | 'error' | 'info' | 'warning'
  text: string
}

export const useUiStore = defineStore('ui', () => {
  const newMigrationOpen = ref(false)
  const detailsId = ref<number | null>(null)
  const detailsTab = ref<DetailsTab>('steps')
  const confirm = ref<ConfirmRequest | null>(null)
  const notices = ref<Notice[]>([])
  let resolveConfirm: ((ok: boolean) => void) | null = null
  let noticeSeq = 0

  function openNewMigration() {
    newMigrationOpen.value = true
  }
  function closeNewMigration() {
    newMigrationOpen.value = false
  }

  function openDetails(id: number, tab: DetailsTab = 'steps') {
    detailsId.value = id
    detailsTab.value = tab
  }
  function closeDetails() {
    detailsId.value = null
  }

  /** ask shows the confirmation dialog and resolves true when the admin confirms. */
  function ask(req: Partial<ConfirmRequest> & { title: string; message: string }) {
    resolveConfirm?.(false)
    confirm.value = { confirmText: 'Confirm', danger: false, ...req }
    return new Promise<boolean>((resolve) => {
      resolveConfirm = resolve
    })
  }
  function answer(ok: boolean) {
    const r = resolveConfirm
    resolveConfirm = null
    confirm.value = null
    r?.(ok)
  }

  function notify(type: Notice['type'], text: string) {
    notices.value.push({ id: ++noticeSeq, type, text })
  }
  function takeNotices(): Notice[] {
    const out = notices.value
    notices.value = []
    return out
  }

  return {
    newMigrationOpen,
    detailsId,
    detailsTab,
    confirm,
    notices,
    openNewMigration,
    closeNewMigration,
    openDetails,
    closeDetails,
    ask,
    answer,
    notify,
    takeNotices,
  }
})
