// Global keyboard shortcuts: Ctrl+N (⌘N) opens New migration, "/" focuses the search box.
// Esc is handled by each dialog itself.
import { onMounted, onUnmounted } from 'vue'
import { useUiStore } from '../stores/ui'

export const SEARCH_INPUT_ID = 'migration-search'

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el) return false
  const tag = el.tagName
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable
}

export function useShortcuts() {
  const ui = useUiStore()
  function onKey(e: KeyboardEvent) {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'n') {
      e.preventDefault()
      ui.openNewMigration()
      return
    }
    if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      if (ui.anyOpen()) return
      const input = document.getElementById(SEARCH_INPUT_ID)
      if (input) {
        e.preventDefault()
        input.focus()
      }
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onUnmounted(() => window.removeEventListener('keydown', onKey))
}
