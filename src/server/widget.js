/* Switchboard web chat. On a page:
 *   <script src="https://SERVICE/widget.js" data-channel="CHANNEL_ID" async></script>
 * Optional attributes: data-lang (ar, en; else the page's language), and for a signed-in user
 * data-user-id with data-user-hash (hex HMAC-SHA256 of the id with the channel's hmac_secret),
 * data-user-name, data-user-email. Loads nothing from any other host. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.switchboardChat) return;
  var data = script.dataset;
  // The service may live under a path: its address is the script's, less the file's name.
  var api = script.src.replace(/\/widget\.js([?#].*)?$/, "") + "/widget/" +
    encodeURIComponent(data.channel || "");
  var words = {
    en: {
      open: "Chat with us", close: "Close", send: "Send", write: "Write a message…",
      typing: "Typing…", start: "Start the chat", intro: "Before we start, tell us who you are.",
      name: "Name", email: "Email", phone: "Phone (+971…)", failed: "Not sent. Try again.",
      error: "The chat is not available now."
    },
    ar: {
      open: "تحدث معنا", close: "إغلاق", send: "إرسال", write: "اكتب رسالتك…",
      typing: "يكتب الآن…", start: "ابدأ المحادثة", intro: "قبل أن نبدأ، عرّفنا بنفسك.",
      name: "الاسم", email: "البريد الإلكتروني", phone: "الهاتف (+971…)",
      failed: "لم تُرسل. حاول مرة أخرى.", error: "المحادثة غير متاحة الآن."
    }
  };
  var pageLanguage = data.lang || document.documentElement.lang || navigator.language || "en";
  var lang = pageLanguage.slice(0, 2).toLowerCase();
  if (!words[lang]) lang = "en";
  var t = words[lang];
  var storageKey = "switchboard:" + data.channel;
  var token = null;
  try { token = localStorage.getItem(storageKey); } catch (e) { /* storage blocked */ }

  var host = document.createElement("div");
  host.id = "switchboard-chat";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ".sb{position:fixed;bottom:20px;inset-inline-end:20px;z-index:2147483000;" +
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Tahoma,sans-serif;color:#1f2328}" +
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:#2f5bea;" +
    "color:#fff;cursor:pointer;display:grid;place-items:center;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:absolute;bottom:70px;inset-inline-end:0;width:340px;max-width:calc(100vw - 40px);" +
    "height:480px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;" +
    "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}" +
    ".panel[hidden],[hidden]{display:none}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;" +
    "background:#2f5bea;color:#fff;font-weight:600}" +
    "header button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px}" +
    ".msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;" +
    "overflow-wrap:anywhere;background:#eef1f6;align-self:flex-start}" +
    ".msg.in{background:#2f5bea;color:#fff;align-self:flex-end}" +
    ".msg.failed{opacity:.6;outline:1px solid #d1242f}" +
    ".typing{padding:0 14px 6px;color:#656d76;font-size:12px}" +
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb}" +
    ".prechat{flex-direction:column;border:0;padding:16px}" +
    "input{flex:1;padding:8px 10px;border:1px solid #c9ced6;border-radius:8px;font:inherit}" +
    "form button{padding:8px 14px;border:0;border-radius:8px;background:#2f5bea;color:#fff;" +
    "font:inherit;cursor:pointer}" +
    ".note{color:#d1242f;font-size:12px;margin:0}" +
    ".offers{display:flex;flex-direction:column;align-items:flex-start;gap:6px}" +
    ".offers button{max-width:80%;padding:6px 10px;border:1px solid #2f5bea;border-radius:12px;" +
    "background:#fff;color:#2f5bea;font:inherit;text-align:start;cursor:pointer}" +
    "</style>" +
    "<div class='sb'><section class='panel' role='dialog' hidden>" +
    "<header><span class='title'></span><button type='button' class='close'>×</button></header>" +
    "<form class='prechat' hidden><p class='intro'></p><button type='submit'></button>" +
    "<p class='note' role='alert'></p></form>" +
    "<div class='log' role='log' aria-live='polite' hidden></div>" +
    "<div class='typing' hidden></div>" +
    "<form class='compose' hidden><input name='text' autocomplete='off'>" +
    "<button type='submit'></button></form>" +
    "</section><button type='button' class='launcher' aria-expanded='false'>" +
    "<svg viewBox='0 0 24 24' width='26' height='26' fill='currentColor' aria-hidden='true'>" +
    "<path d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 " +
    "2-2z'/></svg></button></div>";
  function $(selector) { return root.querySelector(selector); }
  var box = $(".sb"), panel = $(".panel"), launcher = $(".launcher"), log = $(".log");
  var prechat = $(".prechat"), compose = $(".compose"), input = compose.elements.text;
  var typing = $(".typing"), note = $(".note");
  box.dir = lang === "ar" ? "rtl" : "ltr";
  box.lang = lang;
  launcher.setAttribute("aria-label", t.open);
  $(".close").setAttribute("aria-label", t.close);
  $(".intro").textContent = t.intro;
  prechat.querySelector("button").textContent = t.start;
  compose.querySelector("button").textContent = t.send;
  input.placeholder = t.write;
  input.setAttribute("aria-label", t.write);
  typing.textContent = t.typing;

  var started = false, stream = null, shown = {}, waiting = [], typingTimer, typingSent = 0;
  // The questions the AI's last reply offered, as buttons: only that reply's can be picked.
  var offers = null;
  var retryIn = 1000;

  function request(method, path, body) {
    var headers = body ? { "Content-Type": "application/json" } : {};
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (answer) {
        if (response.ok) return answer;
        var error = new Error(answer.error ? answer.error.message : response.statusText);
        error.status = response.status;
        throw error;
      });
    });
  }

  function show(message) {
    if (shown[message.id]) return;
    // The visitor's own message, back from the server before its POST answered.
    var mine = message.direction === "in" ? waiting.filter(function (pending) {
      return pending.textContent === message.text;
    })[0] : null;
    var bubble = mine;
    if (mine) waiting.splice(waiting.indexOf(mine), 1);
    if (!bubble) {
      withdrawOffers();
      bubble = document.createElement("div");
      bubble.className = "msg " + message.direction + " " + message.sender;
      bubble.dir = "auto";
      bubble.textContent = message.text;
      log.appendChild(bubble);
      if (message.offered && message.offered.length) offer(message.offered);
    }
    shown[message.id] = bubble;
    if (message.direction === "out") typing.hidden = true;
    log.scrollTop = log.scrollHeight;
  }

  function offer(questions) {
    offers = document.createElement("div");
    offers.className = "offers";
    questions.forEach(function (question) {
      var button = document.createElement("button");
      button.type = "button";
      button.dir = "auto";
      button.textContent = question;
      button.addEventListener("click", function () { send(question); });
      offers.appendChild(button);
    });
    log.appendChild(offers);
  }

  function withdrawOffers() {
    if (offers) offers.remove();
    offers = null;
  }

  function listen() {
    if (stream) return;
    stream = new EventSource(api + "/events?token=" + encodeURIComponent(token));
    stream.addEventListener("open", function () {
      retryIn = 1000;
      // What was said while no stream was open (before this one started) is in the thread.
      request("GET", "/messages").then(function (messages) { messages.forEach(show); });
    });
    stream.addEventListener("error", function () {
      // The browser reconnects by itself, unless the server refused the stream.
      if (stream.readyState !== 2) return;
      stream = null;
      setTimeout(listen, retryIn);
      retryIn = Math.min(retryIn * 2, 60000);
    });
    stream.addEventListener("message", function (event) { show(JSON.parse(event.data)); });
    stream.addEventListener("typing", function (event) {
      var said = JSON.parse(event.data);
      typing.hidden = !said.typing;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 15000);
    });
  }

  function begin(body) {
    body.language = pageLanguage;
    return request("POST", "/sessions", body).then(function (session) {
      token = session.token;
      // A signed-in user's session is the page's to give, not the browser's to keep.
      try {
        if (session.visitor.verified) localStorage.removeItem(storageKey);
        else localStorage.setItem(storageKey, token);
      } catch (e) { /* storage blocked */ }
      prechat.hidden = true;
      log.hidden = compose.hidden = false;
      if (session.conversation_id) listen();
      return request("GET", "/messages");
    }).then(function (messages) {
      messages.forEach(show);
      input.focus();
    });
  }

  function fail(error) {
    prechat.hidden = false;
    note.textContent = error.status === 422 || error.status === 401 ? error.message : t.error;
  }

  function askFirst(form) {
    var fields = ["name", "email", "phone"].filter(function (field) {
      return form[field] && form[field] !== "off";
    });
    if (!fields.length) return begin({}).catch(fail);
    fields.forEach(function (field) {
      var answer = document.createElement("input");
      answer.name = field;
      answer.type = field === "email" ? "email" : field === "phone" ? "tel" : "text";
      answer.placeholder = t[field];
      answer.setAttribute("aria-label", t[field]);
      answer.required = form[field] === "required";
      prechat.insertBefore(answer, prechat.querySelector("button"));
    });
    prechat.hidden = false;
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (started) return;
    started = true;
    request("GET", "/config").then(function (config) {
      $(".title").textContent = config.name;
      if (data.userId) {
        return begin({
          user_id: data.userId, user_hash: data.userHash, name: data.userName,
          email: data.userEmail
        });
      }
      if (token) {
        return begin({ token: token }).catch(function (error) {
          if (error.status !== 401) throw error;
          token = null;
          return askFirst(config.pre_chat);
        });
      }
      return askFirst(config.pre_chat);
    }).catch(fail);
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(); else panel.hidden = true;
  });
  $(".close").addEventListener("click", function () { panel.hidden = true; });

  prechat.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    prechat.querySelectorAll("input").forEach(function (answer) {
      if (answer.value.trim()) body[answer.name] = answer.value.trim();
    });
    note.textContent = "";
    begin(body).catch(fail);
  });

  function send(text) {
    withdrawOffers();
    var bubble = document.createElement("div");
    bubble.className = "msg in contact";
    bubble.dir = "auto";
    bubble.textContent = text;
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    waiting.push(bubble);
    var id = crypto.randomUUID ? crypto.randomUUID() : Date.now() + "." + Math.random();
    request("POST", "/messages", { text: text, id: id, page_url: location.origin + location.pathname })
      .then(function (stored) {
        var at = waiting.indexOf(bubble);
        if (at >= 0) waiting.splice(at, 1);
        shown[stored.message_id] = bubble;
        listen();
      })
      .catch(function (error) {
        var at = waiting.indexOf(bubble);
        if (at >= 0) waiting.splice(at, 1);
        bubble.classList.add("failed");
        bubble.title = error.status === 413 || error.status === 422 ? error.message : t.failed;
      });
  }

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  input.addEventListener("input", function () {
    // At most one announcement every 3 seconds, and only in a conversation.
    if (!stream || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    request("POST", "/typing", { typing: true }).catch(function () { /* only a courtesy */ });
  });

  window.switchboardChat = { open: open, close: function () { panel.hidden = true; } };
  (document.body || document.documentElement).appendChild(host);
})();
