#include "agent/page_assets.hpp"

#include <array>

#include "common/crypto.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace page_assets {

const std::string_view kShopperStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;
  background:#f6f3ee;color:#1d1d1f;line-height:1.5}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
p{font-size:1.05rem}
.offer{background:#fff;border-radius:1rem;padding:1.25rem;box-shadow:0 1px 4px #0001}
.notice{background:#fff4d6;border-radius:.75rem;padding:.75rem 1rem}
.button{display:block;width:100%;text-align:center;background:#c8102e;color:#fff;border:0;
  border-radius:.75rem;padding:1rem;font-size:1.15rem;text-decoration:none;margin-top:1.25rem}
label{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=tel]{width:100%;font-size:1.1rem;padding:.75rem;margin-top:.35rem;
  border:1px solid #bbb;border-radius:.5rem;background:#fff}
input[aria-invalid=true]{border:2px solid #c8102e}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400}
.check input{flex:none;width:1.4rem;height:1.4rem;margin-top:.15rem}
.hint{font-size:.9rem;color:#555}
.error{color:#c8102e;font-weight:600;margin:.3rem 0 0}
.lang{float:right;font-size:.95rem;color:#333}
)css";

const std::string_view kVoucherStyle =
    ".voucher{background:#fff;border-radius:1rem;padding:1rem;text-align:center;"
    "box-shadow:0 1px 4px #0001}.voucher svg{width:100%;max-width:26rem;height:auto;"
    "display:block;margin:0 auto}.code{font:0.95rem/1.6 ui-monospace,monospace;"
    "word-spacing:.2rem;overflow-wrap:anywhere;user-select:all}dl{display:grid;"
    "grid-template-columns:auto 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0}";

// Sized by the viewport: the kiosk is read from a step away, in landscape or portrait.
const std::string_view kKioskScreenStyle =
    "main{max-width:none;min-height:100vh;display:flex;flex-direction:column;"
    "align-items:center;justify-content:space-evenly;text-align:center;padding:3vh 4vw}"
    "main h1{font-size:max(2rem,5vmin);margin:0}main h2{font-size:max(1.5rem,3.5vmin);margin:0}"
    "#code svg{width:min(55vh,80vw);height:auto;background:#fff;border-radius:1rem}"
    "#touch-signup{max-width:40rem;font-size:max(1.2rem,3vmin)}.badge{position:fixed;"
    "bottom:1rem;left:1rem;background:#444;color:#fff;border-radius:2rem;padding:.4rem 1rem}";

const std::string_view kVoucherAddressScript =
    "history.replaceState(null,'',document.querySelector('meta[name=voucher-path]').content)";

const std::string_view kIdleResetScript =
    "let t;function r(){clearTimeout(t);t=setTimeout(()=>location.href='/kiosk',120000)}"
    "['click','keydown','touchstart'].forEach(e=>addEventListener(e,r));r()";

const std::string_view kKioskScreenScript =
    "let last='';async function tick(){try{const r=await fetch('/kiosk/code',"
    "{cache:'no-store'});if(r.ok){const j=await r.json();if(j.url!==last){last=j.url;"
    "document.getElementById('code').innerHTML=j.svg;document.getElementById('code')"
    ".dataset.url=j.url}}}catch(e){}}setInterval(tick,2000);tick()";

const std::string_view kCounterStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,"Noto Sans CJK SC",sans-serif;background:#1f2328;color:#f4f4f4}
main{max-width:60rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.6rem;margin:.25rem 0 1rem}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem}
label{display:block;font-weight:600;margin-top:1rem;font-size:1.1rem}
input{width:100%;font-size:1.4rem;padding:.7rem;border-radius:.5rem;border:1px solid #888;
  background:#fff;color:#111}
button{font-size:1.3rem;padding:.8rem 1.4rem;border:0;border-radius:.6rem;background:#2f81f7;
  color:#fff;margin-top:1rem;cursor:pointer}
button.quiet{background:#444;font-size:1rem;padding:.5rem 1rem;margin:0}
.error{background:#b3261e;padding:.8rem 1rem;border-radius:.5rem;font-size:1.2rem}
#result{margin-top:1.25rem;border-radius:1rem;padding:1.5rem;min-height:7rem;background:#2d333b}
#result.redeemed{background:#1a7f37}
#result.refused,#result.error{background:#b3261e}
#result h2{font-size:2.6rem;margin:0 0 .5rem}
#result dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;font-size:1.2rem;margin:0}
#result dt{font-weight:600}#result dd{margin:0}
.row{display:flex;gap:1rem;align-items:flex-end}.row>*{flex:1}.row button{flex:none}
video{width:100%;max-height:40vh;background:#000;border-radius:.5rem;margin-top:1rem;display:none}
.status{color:#bbb;font-size:1rem;margin-top:.5rem}
#camera{margin-top:1rem}
.back{color:#9cf}
)css";

// The counter's behaviour. Codes arrive from the code field (typed, or a keyboard-wedge scanner,
// told apart by typing speed), the page's camera (JPEG frames to /counter/frame, at most
// data-fps per second, one in flight) and the kiosk's camera (/counter/camera, polled). A code a
// camera sees again within 4 s is ignored, so a phone held up to it is redeemed once; a code
// typed or scanned again is checked again (and shown as already redeemed). Its settings come
// from <body data-*>.
const std::string_view kCounterScript = R"js(
const body=document.body.dataset, result=document.getElementById('result');
const form=document.getElementById('redeem'), input=document.getElementById('code');
let lastCode='', lastAt=0, keyTimes=[];
function show(j){
  result.className=j.outcome;
  result.innerHTML='';
  const h=document.createElement('h2');h.id='result-title';h.textContent=j.title;result.append(h);
  const dl=document.createElement('dl');
  for(const [k,v] of j.lines){const dt=document.createElement('dt'),dd=document.createElement('dd');
    dt.textContent=k;dd.textContent=v;dl.append(dt,dd);}
  result.append(dl);result.dataset.reason=j.reason||'';
}
async function redeem(code,source){
  const now=Date.now();
  if(source==='camera'||source==='device'){
    if(code===lastCode&&now-lastAt<4000){lastAt=now;return;}
    lastCode=code;lastAt=now;
  }
  try{
    const r=await fetch('/counter/redeem',{method:'POST',headers:{'Accept':'application/json'},
      body:new URLSearchParams({code,source,csrf:body.csrf})});
    if(r.status===401){location.href='/counter';return;}
    show(await r.json());
  }catch(e){show({outcome:'error',title:body.offline,lines:[]});}
}
input.addEventListener('keydown',()=>keyTimes.push(performance.now()));
form.addEventListener('submit',e=>{
  e.preventDefault();
  const code=input.value;input.value='';
  const n=keyTimes.length, fast=n>8&&(keyTimes[n-1]-keyTimes[0])/(n-1)<35;
  keyTimes=[];
  if(code.trim())redeem(code,fast?'scanner':'typed');
  input.focus();
});
let stream=null;
document.getElementById('camera').addEventListener('click',async()=>{
  const video=document.getElementById('video'), status=document.getElementById('camera-status');
  if(stream){stream.getTracks().forEach(t=>t.stop());stream=null;video.style.display='none';return;}
  try{
    stream=await navigator.mediaDevices.getUserMedia({video:{facingMode:'environment',
      width:{ideal:1280},height:{ideal:720}},audio:false});
  }catch(e){status.textContent=String(e);return;}
  video.srcObject=stream;video.style.display='block';await video.play();
  const canvas=document.createElement('canvas'), interval=1000/Number(body.fps);
  while(stream){
    const started=performance.now();
    const scale=Math.min(1,1280/video.videoWidth);
    canvas.width=Math.round(video.videoWidth*scale);canvas.height=Math.round(video.videoHeight*scale);
    if(canvas.width>0){
      canvas.getContext('2d').drawImage(video,0,0,canvas.width,canvas.height);
      const blob=await new Promise(r=>canvas.toBlob(r,'image/jpeg',0.85));
      try{
        const r=await fetch('/counter/frame',{method:'POST',body:blob,
          headers:{'Content-Type':'image/jpeg','X-Counter-Csrf':body.csrf}});
        if(r.status===401){location.href='/counter';return;}
        if(r.ok){const j=await r.json();status.textContent=j.status;
          for(const t of j.texts){redeem(t,'camera');break;}}
      }catch(e){status.textContent=body.offline;}
    }
    await new Promise(r=>setTimeout(r,Math.max(0,interval-(performance.now()-started))));
  }
});
if(body.device==='1'){
  let serial=-1;
  const poll=async()=>{
    try{const r=await fetch('/counter/camera',{cache:'no-store'});
      if(r.status===401){location.href='/counter';return;}
      const j=await r.json();
      document.getElementById('device-status').textContent=j.message||j.state;
      if(j.read){if(serial>=0&&j.read.serial>serial)redeem(j.read.text,'device');serial=j.read.serial;}
      else if(serial<0)serial=0;
    }catch(e){}
    setTimeout(poll,700);
  };
  poll();
}
input.focus();
)js";

}  // namespace page_assets

namespace {

constexpr std::array kStyles{&page_assets::kShopperStyle, &page_assets::kVoucherStyle,
                             &page_assets::kKioskScreenStyle, &page_assets::kCounterStyle};
constexpr std::array kScripts{&page_assets::kVoucherAddressScript, &page_assets::kIdleResetScript,
                              &page_assets::kKioskScreenScript, &page_assets::kCounterScript};

template <std::size_t N>
std::string HashSources(const std::array<const std::string_view*, N>& assets) {
  std::string sources;
  for (const std::string_view* asset : assets) {
    sources += StrCat(" 'sha256-", Base64Encode(Sha256(*asset)), "'");
  }
  return sources;
}

}  // namespace

std::string InlineStyle(std::string_view css) { return StrCat("<style>", css, "</style>"); }

std::string InlineScript(std::string_view js) { return StrCat("<script>", js, "</script>"); }

std::string_view KioskContentSecurityPolicy() {
  static const std::string policy = StrCat(
      "default-src 'none'; script-src", HashSources(kScripts), "; style-src", HashSources(kStyles),
      "; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
      "frame-ancestors 'none'");
  return policy;
}

void AddPageSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy",
                                std::string(KioskContentSecurityPolicy()));
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "same-origin");
}

}  // namespace kiosk_edge
