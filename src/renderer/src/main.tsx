import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { useOutpost } from './store'
import './styles.css'

const rootElement = document.getElementById('root')
if (!rootElement) throw new Error('index.html has no #root element')

// Tests and scripts wait on this attribute rather than on timings.
const reflectAppState = (state: string): void => rootElement.setAttribute('data-app-state', state)
reflectAppState(useOutpost.getState().appState)
useOutpost.subscribe((state) => reflectAppState(state.appState))

createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>
)
