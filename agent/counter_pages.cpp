#include "agent/counter_pages.hpp"

#include "common/http_forms.hpp"
#include "common/strings.hpp"

namespace kiosk_edge {
namespace {

constexpr std::string_view kStyle = R"css(
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
)css";

std::string Page(Language language, std::string_view body, std::string_view script = "",
                 std::string_view body_attributes = "") {
  return StrCat("<!doctype html><html lang=\"", LanguageTag(language),
                "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" "
                "content=\"noindex\"><title>",
                Text(Msg::kCounterTitle, language), "</title><style>", kStyle,
                "</style></head><body", body_attributes, "><main>", body, "</main>", script,
                "</body></html>");
}

// The counter's behaviour. Codes arrive from the code field (typed, or a keyboard-wedge scanner,
// told apart by typing speed), the page's camera (JPEG frames to /counter/frame, at most
// data-fps per second, one in flight) and the kiosk's camera (/counter/camera, polled). A code a
// camera sees again within 4 s is ignored, so a phone held up to it is redeemed once; a code
// typed or scanned again is checked again (and shown as already redeemed).
constexpr std::string_view kScript = R"js(<script>
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
</script>)js";

}  // namespace

std::string RenderCounterLogin(Language language, std::optional<Msg> error,
                               std::string_view staff_id) {
  const std::string error_html =
      error ? StrCat("<p class=\"error\" id=\"login-error\" role=\"alert\">",
                     Text(*error, language), "</p>")
            : "";
  return Page(
      language,
      StrCat("<h1>", Text(Msg::kCounterTitle, language), "</h1>", error_html,
             "<form method=\"post\" action=\"/counter/login\"><label for=\"staff\">",
             Text(Msg::kCounterStaffId, language),
             "</label><input id=\"staff\" name=\"staff\" autocomplete=\"username\" "
             "autocapitalize=\"off\" maxlength=\"64\" required value=\"",
             HtmlEscape(staff_id), "\"><label for=\"pin\">", Text(Msg::kCounterPin, language),
             "</label><input id=\"pin\" name=\"pin\" type=\"password\" "
             "inputmode=\"numeric\" autocomplete=\"current-password\" maxlength=\"12\" "
             "required><button type=\"submit\">",
             Text(Msg::kCounterLogIn, language), "</button></form>"));
}

std::string RenderCounterPage(Language language, std::string_view staff_name,
                              std::string_view csrf_token, bool device_camera, int frame_max_fps) {
  const std::string device_html =
      device_camera ? StrCat("<p class=\"status\">", Text(Msg::kCounterDeviceCamera, language),
                             ": <span id=\"device-status\">…</span></p>")
                    : "";
  const std::string body = StrCat(
      "<header><h1>", Text(Msg::kCounterTitle, language),
      "</h1><form method=\"post\" "
      "action=\"/counter/logout\"><input type=\"hidden\" name=\"csrf\" value=\"",
      HtmlEscape(csrf_token), "\"><span>", HtmlEscape(staff_name),
      "</span> <button class=\"quiet\" type=\"submit\">", Text(Msg::kCounterLogOut, language),
      "</button></form></header><p>", Text(Msg::kCounterScanPrompt, language),
      "</p><form id=\"redeem\" method=\"post\" action=\"/counter/redeem\"><input type=\"hidden\" "
      "name=\"csrf\" value=\"",
      HtmlEscape(csrf_token),
      "\"><input type=\"hidden\" name=\"source\" value=\"typed\"><div class=\"row\"><div><label "
      "for=\"code\">",
      Text(Msg::kCounterCodeLabel, language),
      "</label><input id=\"code\" name=\"code\" autocomplete=\"off\" autocapitalize=\"characters\" "
      "spellcheck=\"false\" maxlength=\"600\"></div><button type=\"submit\">",
      Text(Msg::kCounterRedeemButton, language),
      "</button></div></form><div id=\"result\" aria-live=\"assertive\"></div><button "
      "id=\"camera\" class=\"quiet\" type=\"button\" style=\"margin-top:1rem\">",
      Text(Msg::kCounterStartCamera, language),
      "</button><p class=\"status\" id=\"camera-status\"></p><video id=\"video\" muted "
      "playsinline></video>",
      device_html);
  // The script reads its settings from <body data-*>.
  const std::string attributes =
      StrCat(" data-csrf=\"", HtmlEscape(csrf_token), "\" data-fps=\"", frame_max_fps,
             "\" data-device=\"", device_camera ? "1" : "0", "\" data-offline=\"",
             HtmlEscape(Text(Msg::kCounterNotRecorded, language)), "\"");
  return Page(language, body, kScript, attributes);
}

std::string RenderCounterResultPage(Language language, const CounterResult& result) {
  std::string lines;
  for (const auto& [label, value] : result.lines) {
    lines += StrCat("<dt>", HtmlEscape(label), "</dt><dd>", HtmlEscape(value), "</dd>");
  }
  return Page(language,
              StrCat("<h1>", Text(Msg::kCounterTitle, language), "</h1><div id=\"result\" class=\"",
                     result.redeemed ? "redeemed" : "refused", "\"><h2 id=\"result-title\">",
                     HtmlEscape(result.title), "</h2><dl>", lines,
                     "</dl></div><p><a href=\"/counter\" style=\"color:#9cf\">",
                     Text(Msg::kCounterRedeemButton, language), " →</a></p>"));
}

}  // namespace kiosk_edge
