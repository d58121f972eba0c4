"""Slack-like styles: `BLOCK_KIT_CSS` for what `bot.sandbox.blockkit_html` draws, `PAGE_CSS` for the
transcript page."""

BLOCK_KIT_CSS = """
.bk-blocks,.bk-message,.bk-view{
  font-family:Lato,"Helvetica Neue",Helvetica,"Segoe UI",Roboto,Arial,"DejaVu Sans",sans-serif;
  font-size:15px;line-height:1.46668;color:#1d1c1d}
.bk-message{display:flex;gap:8px;padding:8px 20px;position:relative}
.bk-message:hover{background:#f8f8f8}
.bk-message-ephemeral{background:#f4f9fc}
.bk-avatar{flex:0 0 36px;height:36px;border-radius:6px;color:#fff;font-weight:700;font-size:13px;
  display:flex;align-items:center;justify-content:center;margin-top:2px}
.bk-message-main{flex:1;min-width:0}
.bk-message-head{display:flex;align-items:baseline;gap:6px}
.bk-author{font-weight:900}
.bk-app-badge{font-size:10px;font-weight:700;color:#616061;background:rgba(29,28,29,.13);
  border-radius:2px;padding:0 3px}
.bk-time,.bk-edited{font-size:12px;color:#616061}
.bk-ephemeral{font-size:12px;color:#616061;margin-bottom:2px}
.bk-header{font-size:18px;font-weight:900;line-height:1.33;margin:6px 0 2px}
.bk-section{display:flex;gap:12px;align-items:flex-start;margin:4px 0}
.bk-section-body{flex:1;min-width:0;overflow-wrap:anywhere}
.bk-accessory{flex:0 0 auto}
.bk-fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:4px}
.bk-context{display:flex;flex-wrap:wrap;align-items:center;gap:6px;font-size:13px;color:#616061;
  margin:4px 0}
.bk-context-image{width:20px;height:20px;border-radius:4px}
.bk-divider{border:0;border-top:1px solid #dddddd;margin:10px 0}
.bk-actions{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}
.bk-button{display:inline-flex;align-items:center;height:28px;padding:0 12px;border-radius:4px;
  border:1px solid rgba(29,28,29,.3);background:#fff;color:#1d1c1d;font:inherit;font-size:13px;
  font-weight:700;
  line-height:1;cursor:pointer;text-decoration:none;white-space:nowrap}
.bk-button:hover{background:#f8f8f8;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.bk-button-primary{background:#007a5a;border-color:#007a5a;color:#fff}
.bk-button-primary:hover{background:#148567}
.bk-button-danger{background:#fff;border-color:rgba(224,30,90,.6);color:#e01e5a}
.bk-picker,.bk-select{display:inline-flex;align-items:center;gap:6px;height:28px;padding:0 8px;
  border-radius:4px;
  border:1px solid rgba(29,28,29,.3);font-size:13px;color:#616061;background:#fff}
.bk-caret{font-size:10px;margin-left:4px}
.bk-overflow{display:inline-flex;align-items:center;justify-content:center;width:28px;height:28px;
  border-radius:4px;
  border:1px solid rgba(29,28,29,.3);font-weight:700;position:relative}
.bk-menu{display:none}
.bk-choices{display:flex;flex-direction:column;gap:4px}
.bk-choice{display:flex;align-items:center;gap:8px}
.bk-radio,.bk-checkbox{width:14px;height:14px;border:1px solid #868686;display:inline-block}
.bk-radio{border-radius:50%}
.bk-on{background:#1264a3;border-color:#1264a3}
.bk-mention{color:#1264a3;background:rgba(29,155,209,.1);border-radius:3px;padding:0 2px}
.bk-broadcast{color:#a36c00;background:rgba(242,199,68,.2)}
.bk-date{border-bottom:1px dotted #868686}
.bk-link{color:#1264a3;text-decoration:none}
.bk-code{font-family:Monaco,Menlo,Consolas,"Courier New","DejaVu Sans Mono",monospace;
  font-size:12px;color:#c01343;
  background:rgba(29,28,29,.04);border:1px solid rgba(29,28,29,.13);border-radius:3px;
  padding:2px 3px}
.bk-pre{font-family:Monaco,Menlo,Consolas,"Courier New","DejaVu Sans Mono",monospace;font-size:12px;
  background:rgba(29,28,29,.04);
  border:1px solid rgba(29,28,29,.13);border-radius:4px;padding:8px;white-space:pre-wrap;
  margin:4px 0}
.bk-quote{border-left:4px solid #dddddd;margin:4px 0;padding-left:12px;color:#454245}
.bk-image,.bk-image-thumb{max-width:100%;border-radius:8px;border:1px solid rgba(29,28,29,.1)}
.bk-image-thumb{width:88px;height:88px;object-fit:cover}
.bk-image-missing{display:inline-flex;align-items:center;gap:4px;padding:8px;background:#f8f8f8;
  color:#616061;font-size:13px}
.bk-image-block,.bk-file{margin:6px 0}
.bk-file figcaption,.bk-image-title{font-size:13px;color:#616061;margin-bottom:4px}
.bk-file-plain{display:inline-block;padding:8px 12px;border:1px solid #ddd;border-radius:8px}
.bk-thread{margin-top:6px;border-left:2px solid #e8e8e8;padding-left:4px}
.bk-thread .bk-message{padding:6px 8px}
.bk-thread-count{font-size:13px;font-weight:700;color:#1264a3;padding-left:8px}
.bk-input-block{margin:10px 0}
.bk-label{display:block;font-weight:700;margin-bottom:6px}
.bk-optional,.bk-hint{font-weight:400;color:#616061;font-size:13px}
.bk-input{width:100%;box-sizing:border-box;font:inherit;border:1px solid rgba(29,28,29,.3);
  border-radius:4px;padding:8px}
.bk-textarea{min-height:90px;resize:none}
.bk-view{background:#fff}
.bk-home{padding:16px 20px}
.bk-modal{max-width:520px;border-radius:8px;
  box-shadow:0 0 0 1px rgba(29,28,29,.13),0 18px 48px rgba(0,0,0,.18);overflow:hidden}
.bk-modal-title{font-size:20px;font-weight:900;padding:18px 24px;display:flex;
  justify-content:space-between;border-bottom:1px solid #eee}
.bk-modal-x{color:#616061;font-weight:400}
.bk-modal-body{padding:8px 24px}
.bk-modal-footer{display:flex;justify-content:flex-end;gap:8px;padding:16px 24px;
  border-top:1px solid #eee}
.bk-unknown{color:#616061;font-style:italic}
"""

PAGE_CSS = """
*{box-sizing:border-box}
body{margin:0;
  font-family:Lato,"Helvetica Neue",Helvetica,"Segoe UI",Roboto,Arial,"DejaVu Sans",sans-serif;
  color:#1d1c1d;background:#fff}
.sidebar{position:fixed;top:0;bottom:0;left:0;width:250px;overflow-y:auto;background:#3f0e40;
  color:#cfc3cf;padding:14px 0 40px}
.sidebar .team{font-weight:900;font-size:18px;color:#fff;padding:0 16px}
.sidebar .program{font-size:13px;padding:2px 16px 12px;border-bottom:1px solid #5d3a5e;
  margin-bottom:8px}
.sidebar h3{font-size:12px;text-transform:uppercase;letter-spacing:.04em;margin:14px 16px 4px;
  color:#bcabbc}
.sidebar a{display:flex;align-items:center;gap:8px;padding:3px 16px;color:#e6dce6;
  text-decoration:none;font-size:15px;
  white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sidebar a:hover{background:#350d36;color:#fff}
.sidebar small{margin-left:auto;color:#a08fa0;font-size:11px}
.sidebar .dot{width:9px;height:9px;border-radius:50%;flex:0 0 9px}
main{margin-left:250px;max-width:980px;padding:8px 28px 80px}
section{padding-top:16px;border-bottom:1px solid #eee;padding-bottom:24px}
h1{font-size:26px;margin:12px 0 6px}
h2{font-size:21px;margin:10px 0 4px}
h3{font-size:15px;margin:18px 0 6px;color:#454245}
.lede{color:#454245;max-width:760px;line-height:1.5}
table.summary{border-collapse:collapse;margin:12px 0 8px;font-size:14px}
table.summary th{text-align:left;padding:4px 18px 4px 0;color:#616061;font-weight:700;
  vertical-align:top;white-space:nowrap}
table.summary td{padding:4px 0}
.pane{border:1px solid #e2e2e2;border-radius:8px;padding:6px 0;background:#fff}
.pane.home{padding:0}
.person header{display:flex;gap:14px;align-items:center}
.bk-avatar.big{flex:0 0 52px;height:52px;font-size:18px;border-radius:8px}
.who{color:#616061;font-size:14px}
.habits{color:#616061;font-size:13px;font-style:italic;margin-top:2px}
.day{display:flex;align-items:center;margin:10px 0 4px;font-size:13px;font-weight:700;color:#454245}
.day:before,.day:after{content:"";flex:1;border-top:1px solid #e8e8e8}
.day span{border:1px solid #e2e2e2;border-radius:14px;padding:2px 12px;margin:0 8px;background:#fff}
.activity{padding:2px 20px 2px 64px;font-size:13px;color:#616061}
.activity time,.system time{margin-left:6px;font-size:12px;color:#868686}
.activity .arrow{color:#1264a3}
.modal-shot{margin:8px 0 10px}
.where{font-size:12px;color:#616061}
.system{padding:2px 20px 2px 64px;font-size:13px;color:#616061}
.archived{font-size:12px;background:#f4ede4;color:#a36c00;border-radius:4px;padding:1px 6px;
  vertical-align:middle}
.empty{color:#616061;padding:8px 20px}
@media (max-width:800px){.sidebar{position:static;width:auto}main{margin-left:0}}
"""
