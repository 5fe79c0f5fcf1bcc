// Whether the user is looking at this tab: visible and focused. A channel
// on screen is marked read only then; otherwise its messages stay unread.

class Attention {
  visible = $state(document.visibilityState === 'visible');
  focused = $state(document.hasFocus());

  get active(): boolean {
    return this.visible && this.focused;
  }

  constructor() {
    document.addEventListener('visibilitychange', () => {
      this.visible = document.visibilityState === 'visible';
      this.focused = document.hasFocus();
    });
    window.addEventListener('focus', () => (this.focused = true));
    window.addEventListener('blur', () => (this.focused = document.hasFocus()));
  }
}

export const attention = new Attention();
