// The settings store holds the admin's preferences (GetSettings/SaveSettings). The theme
// applies at once: App.vue reads `theme` to pick light, dark or the system's choice.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import * as api from '../api'
import type { Settings } from '../api'

export type Theme = 'system' | 'light' | 'dark'

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings | null>(null)
  const theme = ref<Theme>('system')

  async function load(): Promise<Settings | null> {
    try {
      const s = await api.getSettings()
      settings.value = s
      theme.value = asTheme(s.theme)
      return s
    } catch {
      return null // the defaults stay in place; the Settings dialog shows the error on open
    }
  }

  /** save stores the settings; an invalid_input ApiError carries the per-field messages. */
  async function save(s: Settings): Promise<Settings> {
    const saved = await api.saveSettings(s)
    settings.value = saved
    theme.value = asTheme(saved.theme)
    return saved
  }

  /** preview applies a theme without saving it (the Settings dialog's live preview). */
  function preview(t: Theme) {
    theme.value = t
  }

  function asTheme(v: string): Theme {
    return v === 'light' || v === 'dark' ? v : 'system'
  }

  return { settings, theme, load, save, preview }
})
