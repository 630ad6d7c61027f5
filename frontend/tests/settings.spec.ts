import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as api from '../src/api'
import SettingsDialog from '../src/components/SettingsDialog.vue'
import { useUiStore } from '../src/stores/ui'

vi.mock('../src/api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/api')>()
  return { ...real, getSettings: vi.fn(), saveSettings: vi.fn() }
})

let pinia: ReturnType<typeof createPinia>
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  document.body.innerHTML = ''
  vi.mocked(api.saveSettings).mockImplementation(async (s) => s)
})

async function open(transferConnections: number) {
  vi.mocked(api.getSettings).mockResolvedValue({
    concurrentMigrations: 2,
    transferConnections,
    theme: 'system',
    dataDir: '/home/admin/.config/Ferry',
  })
  const w = mount(SettingsDialog, { attachTo: document.body, global: { plugins: [pinia] } })
  useUiStore().openSettings()
  await flushPromises()
  return w
}

function connectionsInput() {
  return document.body.querySelector<HTMLInputElement>('input[name="transferConnections"]')!
}

describe('SettingsDialog', () => {
  it('shows automatic connections as an empty field and saves them as 0', async () => {
    const w = await open(0)
    expect(connectionsInput().value).toBe('')
    expect(connectionsInput().placeholder).toBe('Auto')
    document.body.querySelector<HTMLElement>('[data-test="settings-save"]')!.click()
    await flushPromises()
    expect(vi.mocked(api.saveSettings).mock.calls[0][0].transferConnections).toBe(0)
    w.unmount()
  })

  it('keeps a number the admin chose', async () => {
    const w = await open(6)
    expect(connectionsInput().value).toBe('6')
    document.body.querySelector<HTMLElement>('[data-test="settings-save"]')!.click()
    await flushPromises()
    expect(vi.mocked(api.saveSettings).mock.calls[0][0].transferConnections).toBe(6)
    w.unmount()
  })
})
