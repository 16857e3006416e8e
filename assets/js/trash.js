// The Recently deleted view: no recorder here, only the list's toasts
// and times (list.js).
document.documentElement.classList.add('js');
import './list.js';
