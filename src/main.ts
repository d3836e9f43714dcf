import { mount } from 'svelte';
import App from './ui/App.svelte';
import { installConsoleApi } from './console-api.ts';
import './ui/theme.css';

mount(App, { target: document.getElementById('app')! });
// window.emergenceLab: score items from the console (its worker starts only when first used).
installConsoleApi(() => new Worker(new URL('./worker/engine.worker.ts', import.meta.url), { type: 'module' }));
