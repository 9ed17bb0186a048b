/**
 * All of the widget's CSS, scoped by its shadow root. Colors come from custom properties the view sets
 * from the bot's appearance. `.preview` keeps everything inside the dashboard's preview box instead of
 * fixed to the viewport.
 */
export const WIDGET_CSS = `
:host{all:initial}
*,*::before,*::after{box-sizing:border-box}
.root{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);-webkit-text-size-adjust:100%}
.launcher,.panel{position:fixed;z-index:2147483000;right:20px}
.left .launcher,.left .panel{right:auto;left:20px}
.launcher{bottom:20px;display:inline-flex;align-items:center;gap:8px;min-height:48px;max-width:calc(100vw - 40px);padding:0 18px 0 14px;border:0;border-radius:999px;background:var(--p);color:var(--op);font:inherit;font-weight:600;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25)}
.launcher.x{width:48px;padding:0;justify-content:center}
.launcher span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.launcher svg{flex:none}
.panel{bottom:84px;width:370px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:var(--bg);color:var(--fg);border:1px solid var(--bd);border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);overflow:hidden}
.panel[hidden]{display:none}
.head{display:flex;align-items:center;gap:10px;padding:10px 10px 10px 14px;background:var(--p);color:var(--op)}
.avatar{width:36px;height:36px;flex:none;border-radius:50%;display:grid;place-items:center;overflow:hidden;background:var(--op);color:var(--p);font-weight:700}
.avatar img{width:100%;height:100%;object-fit:cover}
h2{flex:1;min-width:0;margin:0;font:inherit;font-size:16px;font-weight:700;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.icon{width:40px;height:40px;flex:none;display:grid;place-items:center;border:0;border-radius:8px;background:transparent;color:inherit;cursor:pointer}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px}
.msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.msg.assistant{align-self:flex-start;background:var(--sf);color:var(--fg);border-bottom-left-radius:4px}
.msg.user{align-self:flex-end;background:var(--p);color:var(--op);border-bottom-right-radius:4px}
.msg.unanswered{opacity:.7}
.msg.unanswered::after{content:"Not answered";display:block;font-size:11px;margin-top:2px}
.msg.typing span:last-child:empty::after{content:"\\2026";font-weight:700}
.note{align-self:center;max-width:90%;font-size:13px;font-style:italic;text-align:center;color:var(--fg)}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.alert{margin:0 12px 8px;padding:8px 10px;border:1px solid #b91c1c;border-radius:8px;background:#fef2f2;color:#7f1d1d;font-size:14px}
.alert:empty{margin:0;padding:0;border:0}
.compose{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--bd)}
.compose[hidden],.gate[hidden]{display:none}
textarea{flex:1;min-width:0;min-height:44px;max-height:120px;margin:0;padding:10px 12px;resize:none;border:1px solid var(--bd);border-radius:10px;background:var(--bg);color:var(--fg);font:inherit}
textarea:disabled{opacity:.75}
.btn{min-height:44px;padding:0 16px;border:1px solid var(--p);border-radius:10px;background:var(--p);color:var(--op);font:inherit;font-weight:600;cursor:pointer}
.btn.alt{border-color:var(--bd);background:var(--bg);color:var(--fg)}
.btn:disabled{cursor:default;opacity:.75}
.gate{flex:1;display:flex;flex-direction:column;justify-content:center;gap:12px;padding:20px}
.log[hidden]{display:none}
.gate p{margin:0}
.gate div{display:flex;flex-wrap:wrap;gap:8px}
button:focus,textarea:focus{outline:none}
button:focus-visible,textarea:focus-visible{outline:3px solid var(--fc);outline-offset:2px}
.head button:focus-visible{outline-color:var(--op);outline-offset:-3px}
@media (max-width:480px){
.root:not(.preview) .panel{top:0;right:0;bottom:0;left:0;width:100%;max-width:none;height:100%;max-height:none;border:0;border-radius:0}
.root.open:not(.preview) .launcher{display:none}
}
.preview{position:relative;width:100%;height:100%;min-height:520px;overflow:hidden}
.preview .launcher,.preview .panel{position:absolute;z-index:1}
.preview .launcher{bottom:16px;right:16px;max-width:calc(100% - 32px)}
.preview .panel{bottom:76px;right:16px;max-width:calc(100% - 32px);height:calc(100% - 92px);max-height:none}
.preview.left .launcher,.preview.left .panel{right:auto;left:16px}
`;
