// Entry point: renders the app into #app (index.html's fallback text is replaced).
import { render } from 'preact';
import { App } from './app.jsx';
import './style.css';

render(<App />, document.getElementById('app'));
