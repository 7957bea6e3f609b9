// The tipd portal: looks up an IP address, a domain, a web address or a
// file hash through the same-origin API (and a threat report through the
// publications endpoint) and shows the answer, with the evidence behind
// its verdict (GET /api/explain). Every address, domain, web
// address, hash and report in an answer links to its own lookup. The bulk
// view (#/bulk) looks up a pasted list (POST /api/bulk, NDJSON) as one
// sortable table, exported as CSV, JSON or a STIX bundle.
//
// Everything shown comes from threat intelligence, which attackers write
// (URLs, WHOIS text, detection names). It is therefore only ever put into
// the page as text: elements are built with document.createElement and
// filled with textContent; no HTML string is ever parsed. The page's
// Content-Security-Policy enforces Trusted Types, so an accidental
// innerHTML assignment would throw instead of rendering.
(function () {
  "use strict";

  var TOKEN_KEY = "tipd.token";
  var COUNT_KEY = "tipd.count";
  // The kinds of lookups, as the address bar names them (#/<kind>/<value>).
  var KINDS = { ip: "IP address", domain: "Domain", url: "Web address", hash: "File", report: "Threat report" };
  var ROUTE = /^#\/(ip|domain|url|hash|report)\/(.*)$/;

  var ZONES = {
    Red: "Dangerous",
    Orange: "Not trusted",
    Yellow: "Adware and other",
    Grey: "No or not enough data",
    Green: "Good"
  };

  var STATUS_TEXT = {
    400: "Bad request",
    401: "Not authenticated",
    402: "Licence expired",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    414: "Request too long",
    429: "Too many requests",
    451: "Unavailable for legal reasons",
    500: "Server error",
    503: "Service unavailable"
  };

  var CATEGORY_NAMES = {
    CATEGORY_MALWARE: "Malware",
    CATEGORY_BOTNET_CNC: "Botnet C&C",
    CATEGORY_PHISHING: "Phishing",
    CATEGORY_APT: "APT",
    CATEGORY_RANSOMWARE: "Ransomware",
    CATEGORY_MINER: "Miner",
    CATEGORY_SPAM: "Spam",
    CATEGORY_SCANNER: "Scanner",
    CATEGORY_BRUTEFORCE: "Brute force",
    CATEGORY_TOR_EXIT_NODE: "Tor exit node",
    CATEGORY_OPEN_PROXY: "Open proxy",
    CATEGORY_COMPROMISED: "Compromised",
    CATEGORY_BAD_REPUTATION: "Bad reputation",
    CATEGORY_ADWARE: "Adware",
    CATEGORY_PORNWARE: "Pornware",
    CATEGORY_RISKWARE: "Riskware"
  };

  var $ = function (id) { return document.getElementById(id); };

  // ---- DOM helpers: text only ------------------------------------------

  // el builds an element. props may set className, text, title, id and
  // attrs (an object of attribute names to values); children are nodes or
  // strings (added as text nodes); null children are skipped.
  function el(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      if (props.className) e.className = props.className;
      if (props.text !== undefined && props.text !== null) e.textContent = String(props.text);
      if (props.title) e.title = String(props.title);
      if (props.id) e.id = props.id;
      if (props.attrs) {
        Object.keys(props.attrs).forEach(function (k) { e.setAttribute(k, String(props.attrs[k])); });
      }
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }

  function append(parent, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(parent, x); }); return; }
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  var DASH = "—";

  function isKnown(v) { return v !== null && v !== undefined && v !== ""; }

  function num(v) {
    return typeof v === "number" ? v.toLocaleString("en-US") : (isKnown(v) ? String(v) : DASH);
  }

  // when shows an API date ("2024-01-05T12:30Z", "…:00Z" or "2024-01-05")
  // as "2024-01-05 12:30 UTC".
  function when(v) {
    if (!isKnown(v)) return el("span", { className: "muted", text: DASH });
    var s = String(v);
    var m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(?:\.\d+)?)?Z$/.exec(s);
    var shown = m ? m[1] + " " + m[2] + " UTC" : s;
    return el("time", { text: shown, title: s, attrs: { datetime: s } });
  }

  function mono(v, cls) {
    if (!isKnown(v)) return el("span", { className: "muted", text: DASH });
    return el("span", { className: "mono" + (cls ? " " + cls : ""), text: v });
  }

  function yesNo(b) {
    return el("span", { className: b ? "flag flag-yes" : "flag", text: b ? "Yes" : "No" });
  }

  function zoneBadge(zone, big) {
    var z = ZONES[zone] ? zone : "Grey";
    return el("span", {
      className: "zone zone-" + z + (big ? " zone-big" : ""),
      text: isKnown(zone) ? zone : "Grey",
      title: ZONES[z],
      attrs: { "data-zone": z }
    });
  }

  function categoryName(c) {
    if (CATEGORY_NAMES[c]) return CATEGORY_NAMES[c];
    var s = String(c).replace(/^CATEGORY_/, "").replace(/_/g, " ").toLowerCase();
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  function chips(list, cls) {
    if (!list || !list.length) return el("span", { className: "muted", text: "None" });
    return el("ul", { className: "chips" }, list.map(function (x) {
      return el("li", { className: "chip" + (cls ? " " + cls : ""), text: x });
    }));
  }

  function categoryChips(withZone, plain) {
    var list = (withZone && withZone.length) ? withZone
      : (plain || []).map(function (n) { return { Name: n, Zone: null }; });
    if (!list.length) return el("span", { className: "muted", text: "None" });
    return el("ul", { className: "chips" }, list.map(function (c) {
      var z = ZONES[c.Zone] ? c.Zone : "Grey";
      return el("li", { className: "chip chip-cat", title: c.Name + (c.Zone ? " · " + c.Zone : "") },
        el("span", { className: "dot zone-" + z, attrs: { "aria-hidden": "true" } }),
        categoryName(c.Name),
        c.Zone ? el("span", { className: "sr-only", text: " (" + c.Zone + ")" }) : null);
    }));
  }

  // pivot links a value to the lookup of target, of the given kind, in this
  // portal. The link is always a fragment of this page, so data can never
  // choose its scheme.
  function pivot(text, target, kind) {
    var k = KINDS[kind] ? kind : "ip";
    var a = el("a", { className: "mono pivot", text: text, title: "Look up " + target, attrs: { "data-kind": k } });
    a.href = "#/" + k + "/" + encodeURIComponent(target);
    return a;
  }

  // pivotAny links a value to the lookup its form calls for (see
  // classify), or shows it as text when it is none of the kinds.
  function pivotAny(text) {
    var c = classify(text);
    return c ? pivot(text, c.value, c.kind) : mono(text);
  }

  // refang undoes the usual defanging of indicators: hxxp(s), [.], (.),
  // {.}, [dot], [:] and [://].
  function refang(v) {
    return String(v).trim()
      .replace(/^h[x*]{2}p(s?)(?=(\[:\]|:|\[:\/\/\]))/i, "http$1")
      .replace(/\[:\/\/\]/g, "://")
      .replace(/\[:\]/g, ":")
      .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, ".");
  }

  // classify tells which lookup a typed value is for: a file hash (32, 40
  // or 64 hex digits), an IP address, a web address (a scheme, or a "/"
  // or "?"), else a domain name. Defanged forms are accepted. It returns
  // {kind, value} or null for an empty value.
  function classify(raw) {
    var v = refang(raw || "");
    if (!v) return null;
    if (/^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i.test(v)) return { kind: "hash", value: v };
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) return { kind: "ip", value: v };
    var b = v.replace(/^\[(.*)\]$/, "$1");
    if (/^[0-9a-f:.]+(%[\w.-]+)?$/i.test(b) && (b.match(/:/g) || []).length >= 2) return { kind: "ip", value: b };
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) || /^[a-z][a-z0-9+.-]*:\\\\/i.test(v) || /[\/?]/.test(v)) return { kind: "url", value: v };
    return { kind: "domain", value: v };
  }

  function withScheme(u) {
    return /^https?:\/\//i.test(u) ? u : "http://" + u;
  }

  // facts is a definition list of [label, value, wide] items; a wide item
  // takes a whole row.
  function facts(pairs, cls) {
    var dl = el("dl", { className: "facts" + (cls ? " " + cls : "") });
    pairs.forEach(function (p) {
      if (!p) return;
      dl.appendChild(el("div", { className: "fact" + (p[2] ? " fact-wide" : "") },
        el("dt", { text: p[0] }),
        el("dd", null, isKnown(p[1]) ? p[1] : el("span", { className: "muted", text: DASH }))));
    });
    return dl;
  }

  // table renders items with columns {label, cell(item) -> node|string, cls}.
  function table(caption, columns, items) {
    var t = el("table", { className: "grid" });
    t.appendChild(el("caption", { className: "sr-only", text: caption }));
    var tr = el("tr");
    columns.forEach(function (c) {
      tr.appendChild(el("th", { text: c.label, className: c.cls || "", attrs: { scope: "col" } }));
    });
    t.appendChild(el("thead", null, tr));
    var tb = el("tbody");
    items.forEach(function (it) {
      var row = el("tr");
      columns.forEach(function (c) {
        var v = c.cell(it);
        row.appendChild(el("td", { className: c.cls || "" }, isKnown(v) ? v : el("span", { className: "muted", text: DASH })));
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return el("div", { className: "table-wrap", attrs: { tabindex: "0", role: "region", "aria-label": caption } }, t);
  }

  var sectionSeq = 0;

  // card is a titled section; count (optional) is shown next to the title.
  function card(title, count, body, cls) {
    var id = "sec-" + (++sectionSeq);
    var h = el("h3", { id: id }, title,
      count === null || count === undefined ? null : el("span", { className: "count", text: num(count) }));
    return el("section", { className: "card" + (cls ? " " + cls : ""), attrs: { "aria-labelledby": id } }, h, body);
  }

  // ZONE_ORDER ranks zones for sorting, most severe first.
  var ZONE_ORDER = { Red: 5, Orange: 4, Yellow: 3, Grey: 2, Green: 1 };

  // sortKeyOf gives a list column its sort key, by its label: the zone
  // (by severity), the hits, the last-seen date; null for the others.
  function sortKeyOf(label) {
    if (label === "Zone") return function (it) { return ZONE_ORDER[it.Zone] || 0; };
    if (/Hits$/.test(label)) {
      return function (it) {
        var v = [it.UrlHitsCount, it.DownloadHitsCount, it.HitsCount, it.Hits].find(function (x) { return typeof x === "number"; });
        return v === undefined ? -1 : v;
      };
    }
    if (label === "Last seen") return function (it) { return Date.parse(it.LastSeen) || 0; };
    return null;
  }

  // listControls makes a list's table sortable by zone, hits and last seen
  // (a click on the column's header sorts it, most severe, most and newest
  // first; again reverses it) and adds a box that filters its rows.
  function listControls(wrap, title, columns, items) {
    var tableEl = wrap.querySelector("table");
    var tbody = tableEl.querySelector("tbody");
    var rows = Array.prototype.slice.call(tbody.rows);
    var ths = tableEl.querySelectorAll("thead th");
    columns.forEach(function (c, i) {
      var key = sortKeyOf(c.label);
      if (!key) return;
      var th = ths[i];
      var b = el("button", { className: "sort", text: c.label, attrs: { type: "button", title: "Sort by " + c.label.toLowerCase() } });
      clear(th);
      th.appendChild(b);
      th.setAttribute("aria-sort", "none");
      var dir = 0;
      b.addEventListener("click", function () {
        dir = dir === -1 ? 1 : -1; // descending first
        Array.prototype.forEach.call(ths, function (o) { if (o !== th) o.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir < 0 ? "descending" : "ascending");
        var order = rows.map(function (r, j) { return { r: r, k: key(items[j]), j: j }; });
        order.sort(function (x, y) { return (x.k - y.k) * dir || x.j - y.j; });
        order.forEach(function (o) { tbody.appendChild(o.r); });
      });
    });
    var box = el("input", { className: "filter", attrs: { type: "search", placeholder: "Filter these rows", "aria-label": "Filter " + title } });
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      rows.forEach(function (r) { r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0; });
    });
    return box;
  }

  // listCard renders one list section: its table, sortable and filtered
  // when it has more than one row; an empty list is a collapsed line.
  function listCard(title, items, columns, limit, emptyText) {
    if (!Array.isArray(items)) return null;
    if (!items.length) {
      return el("details", { className: "card card-list card-empty" },
        el("summary", null, el("h3", { text: title }, el("span", { className: "count", text: "0" }))),
        el("p", { className: "empty", text: emptyText }));
    }
    var wrap = table(title, columns, items);
    var body = [wrap];
    if (items.length > 1) {
      body.unshift(listControls(wrap, title, columns, items));
    }
    if (items.length >= limit) {
      body.push(el("p", { className: "note", text: "Showing the newest " + num(limit) + "; there may be more. Raise “Rows per list” to see them." }));
    }
    return card(title, items.length, body, "card-list");
  }

  // ---- Lists that page (GET /api/list) -----------------------------------

  // listPaging is the lookup whose answer is being shown: its kind, the
  // request as typed, and the controller of its requests.
  var listPaging = null;

  // PAGED_SECTIONS are the sections GET /api/list pages, by lookup kind.
  var PAGED_SECTIONS = {
    ip: ["HostedUrls", "FilesDownloadedFromIp", "IpDnsResolutions", "FeedMasks"],
    domain: ["DomainDnsResolutions", "FilesDownloaded", "FilesAccessed", "UrlReferrals", "UrlReferredTo", "Subdomains", "FeedMasks"],
    url: ["FilesDownloaded", "FilesAccessed", "UrlReferrals", "UrlReferredTo", "DomainDnsResolutions"],
    hash: ["FileCertificates", "FileNames", "FilePaths", "FileDownloadedFromUrls", "FileAccessedUrls", "FileStartedObjects",
      "FileStartedBy", "FileDownloadedObjects", "FileDownloadedBy"]
  };

  // pagedListCard is listCard for a section that pages. When the answer
  // holds as many items as were asked for (the list may go on), it asks
  // GET /api/list for the list's first page (one request, counted like a
  // lookup) to learn the list's true total and the cursor after it; the
  // badge then shows the total, and a "Show more" button appends the next
  // page, as many rows as “Rows per list”, until the list is complete.
  function pagedListCard(title, items, columns, limit, emptyText, section) {
    var node = listCard(title, items, columns, limit, emptyText);
    var ctx = listPaging;
    if (!node || !ctx || !Array.isArray(items) || items.length < limit || (PAGED_SECTIONS[ctx.kind] || []).indexOf(section) < 0) return node;
    var state = {
      title: title, columns: columns, limit: limit, emptyText: emptyText, section: section, ctx: ctx,
      items: [], seen: {}, total: items.length, next: "", node: node
    };
    addPageItems(state, items);
    fetchListPage(state, "", ctx.ctl ? ctx.ctl.signal : undefined, function (p) {
      addPageItems(state, p.Items);
      state.total = p.Total;
      state.next = p.Next || "";
      redrawPagedList(state, false);
    }, function () { /* the answer stays as it is, without paging */ });
    return node;
  }

  // addPageItems appends the items not shown yet (a list that changed
  // between two pages may return an item again).
  function addPageItems(state, items) {
    var n = 0;
    (items || []).forEach(function (it) {
      var k = JSON.stringify(it);
      if (state.seen[k]) return;
      state.seen[k] = true;
      state.items.push(it);
      n++;
    });
    return n;
  }

  // fetchListPage asks for the page of state's list after the cursor, with
  // the token held for the tab now (none after "Forget": nothing is asked).
  function fetchListPage(state, after, signal, done, failed) {
    var token = $("token").value.trim() || savedToken();
    if (!token) {
      failed("no API token: enter it at the top of the page.");
      return;
    }
    var url = "/api/list?section=" + encodeURIComponent(state.section) + "&count=" + state.limit +
      (after ? "&after=" + encodeURIComponent(after) : "") + "&request=" + encodeURIComponent(state.ctx.q);
    fetch(url, {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer", signal: signal
    }).then(function (resp) {
      return resp.text().then(function (body) { return { resp: resp, body: body }; });
    }).then(function (x) {
      var data = null;
      try { data = JSON.parse(x.body); } catch (e) { data = null; }
      if (!x.resp.ok || !data || !Array.isArray(data.Items) || typeof data.Total !== "number") {
        failed(data && typeof data.message === "string" ? data.message : "the server answered " + x.resp.status + ".");
        return;
      }
      done(data);
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      failed(err && err.message ? err.message : "network error");
    });
  }

  // redrawPagedList replaces the list's card with one of every item loaded,
  // keeping its filter and sort, with the true total in its badge and the
  // "Show more" button while the list goes on; focus moves to the new
  // button (or the list's title once complete) when moreFocus is set.
  function redrawPagedList(state, moreFocus) {
    var old = state.node;
    var filter = old.querySelector("input.filter");
    var q = filter ? filter.value : "";
    var sorted = old.querySelector("th[aria-sort=descending], th[aria-sort=ascending]");
    var sortCol = sorted ? Array.prototype.indexOf.call(sorted.parentNode.children, sorted) : -1;
    var sortDir = sorted ? sorted.getAttribute("aria-sort") : "";
    var node = listCard(state.title, state.items, state.columns, Infinity, state.emptyText);
    var badge = node.querySelector("h3 .count");
    if (badge) badge.textContent = num(state.total);
    var h = node.querySelector("h3");
    var more = null;
    if (state.next) {
      more = el("button", { className: "btn btn-quiet btn-small more", text: "Show more", attrs: { type: "button" } });
      more.addEventListener("click", function () { showMore(state, more); });
    }
    node.appendChild(el("p", { className: "note paged-note" },
      "Showing " + num(state.items.length) + " of " + num(state.total) + (state.next ? "." : "; the whole list."), more ? " " : null, more));
    if (sortCol >= 0) {
      var b = node.querySelectorAll("thead th")[sortCol];
      b = b && b.querySelector("button.sort");
      if (b) {
        b.click();
        if (sortDir === "ascending") b.click();
      }
    }
    var box = node.querySelector("input.filter");
    if (box && q) {
      box.value = q;
      box.dispatchEvent(new Event("input"));
    }
    old.replaceWith(node);
    state.node = node;
    if (moreFocus) {
      if (more) {
        more.focus();
      } else if (h) {
        h.setAttribute("tabindex", "-1");
        h.focus();
      }
    }
  }

  // showMore appends the next page of state's list.
  function showMore(state, button) {
    button.disabled = true;
    button.textContent = "Loading…";
    fetchListPage(state, state.next, undefined, function (p) {
      var n = addPageItems(state, p.Items);
      state.total = p.Total;
      state.next = p.Next || "";
      redrawPagedList(state, true);
      setStatus(state.title + ": " + num(n) + " more, " + num(state.items.length) + " of " + num(state.total) + " shown.");
    }, function (msg) {
      button.disabled = false;
      button.textContent = "Show more";
      setStatus(state.title + ": the next page could not be loaded: " + msg);
    });
  }

  // ---- Sections -----------------------------------------------------------

  function reportsTable(reports) {
    if (!reports || !reports.length) return null;
    return table("Related reports", [
      { label: "Type", cell: function (r) { return el("span", { className: "tag tag-" + String(r.Type).toLowerCase(), text: r.Type }); } },
      { label: "Title", cell: function (r) { return r.Title; } },
      { label: "Id", cell: function (r) { return isKnown(r.Id) ? pivot(r.Id, r.Id, "report") : null; } }
    ], reports);
  }

  function scoreBlock(score) {
    var s = typeof score === "number" ? Math.max(0, Math.min(100, score)) : 0;
    var band = s >= 75 ? "Red" : s >= 50 ? "Orange" : s > 0 ? "Yellow" : "Grey";
    var bar = el("span", { className: "meter-fill zone-" + band });
    bar.style.width = s + "%";
    return el("div", { className: "score" },
      el("div", { className: "score-label", text: "Threat score" }),
      el("div", { className: "score-value" },
        el("span", { className: "score-num", id: "score", text: isKnown(score) ? score : DASH }),
        el("span", { className: "score-max", text: "/100" })),
      el("div", { className: "meter", attrs: { role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": s, "aria-label": "Threat score" } }, bar));
  }

  function summary(subject, kind, zone, score, pairs, extra) {
    var z = ZONES[zone] ? zone : "Grey";
    return el("section", { className: "card summary summary-" + z, attrs: { "aria-labelledby": "result-title" } },
      el("div", { className: "summary-head" },
        el("div", { className: "verdict" },
          zoneBadge(zone, true),
          el("span", { className: "verdict-text", text: ZONES[z] })),
        el("div", { className: "subject" },
          el("div", { className: "subject-kind", text: kind }),
          el("h2", { id: "result-title", className: "mono subject-value", text: subject, attrs: { tabindex: "-1" } })),
        score === undefined ? null : scoreBlock(score)),
      facts(pairs, "facts-summary"),
      extra);
  }

  function licence(li) {
    if (!li) return null;
    return el("div", { className: "licence", attrs: { "aria-label": "Licence" } },
      el("span", null, el("span", { className: "muted", text: "Licence " }), el("strong", { text: li.AccessType || DASH })),
      el("span", null, el("span", { className: "muted", text: "Requests today " }),
        el("strong", { id: "quota", text: num(li.DayRequests) + " / " + num(li.DayQuota) })),
      el("span", null, el("span", { className: "muted", text: "Token expires " }), when(li.TokenExpirationDate)));
  }

  var FILE_COLUMNS = [
    { label: "Zone", cell: function (f) { return zoneBadge(f.Zone); } },
    { label: "MD5", cell: function (f) { return isKnown(f.Md5) ? pivot(f.Md5, f.Md5, "hash") : null; } },
    { label: "Detection", cell: function (f) { return isKnown(f.DetectionName) ? mono(f.DetectionName) : null; } },
    { label: "Downloaded from", cell: function (f) { return isKnown(f.Url) ? pivot(f.Url, withScheme(f.Url), "url") : null; }, cls: "wrap" },
    { label: "Hits", cell: function (f) { return num(f.DownloadHitsCount); }, cls: "num" },
    { label: "First seen", cell: function (f) { return when(f.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (f) { return when(f.LastSeen); }, cls: "date" }
  ];

  var URL_COLUMNS = [
    { label: "Zone", cell: function (u) { return zoneBadge(u.Zone); } },
    { label: "URL", cell: function (u) {
      return el("span", null, pivot(u.Url, withScheme(u.Url), "url"),
        u.IsUrlTruncated ? el("span", { className: "tag tag-trunc", text: "truncated", title: "Private data was cut from this URL before it was stored" }) : null);
    }, cls: "wrap" },
    { label: "Hits", cell: function (u) { return num(u.UrlHitsCount); }, cls: "num" },
    { label: "First seen", cell: function (u) { return when(u.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (u) { return when(u.LastSeen); }, cls: "date" }
  ];

  var MASK_COLUMNS = [
    { label: "Zone", cell: function (m) { return zoneBadge(m.Zone); } },
    { label: "Status", cell: function (m) { return m.Status; } },
    { label: "Mask", cell: function (m) {
      // A host mask names a host and a web-address mask one web address:
      // each links to its lookup; prefixes and networks are shown as text.
      if (!isKnown(m.NormalizedMask)) return null;
      if (m.MaskType === "Host") return hostPivot(m.NormalizedMask);
      if (m.MaskType === "Url") return pivot(m.NormalizedMask, withScheme(m.NormalizedMask), "url");
      return mono(m.NormalizedMask);
    }, cls: "wrap" },
    { label: "Type", cell: function (m) { return m.MaskType; } },
    { label: "Feeds", cell: function (m) { return feedChips(m.FeedNames); } }
  ];

  var DNS_COLUMNS = [
    { label: "Zone", cell: function (d) { return zoneBadge(d.Zone); } },
    { label: "Domain", cell: function (d) { return isKnown(d.Domain) ? pivot(d.Domain, d.Domain, "domain") : null; }, cls: "wrap" },
    { label: "Categories", cell: function (d) { return categoryChips(null, d.Categories); } },
    { label: "Hits", cell: function (d) { return num(d.HitsCount); }, cls: "num" },
    { label: "Daily peak", cell: function (d) { return num(d.DailyPeak); }, cls: "num" },
    { label: "Peak date", cell: function (d) { return when(d.PeakDate); }, cls: "date" },
    { label: "First seen", cell: function (d) { return when(d.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (d) { return when(d.LastSeen); }, cls: "date" }
  ];

  function whoisCard(w) {
    if (!w) return null;
    var parts = [];
    var net = w.Net;
    var left = facts([
      ["Range", net ? rangeLink(net.RangeStart, net.RangeEnd) : null],
      ["Net name", net && isKnown(net.Name) ? mono(net.Name) : null],
      ["Type", w.Type],
      ["Status", w.Status],
      ["Created", net ? when(net.Created) : null],
      ["Changed", net ? when(net.Changed) : null],
      ["Description", net && isKnown(net.Description) ? el("span", { className: "pre desc", text: net.Description }) : null, true]
    ], "facts-whois");
    var asn = (w.Asn && w.Asn.length)
      ? el("ul", { className: "asn-list" }, w.Asn.map(function (a) {
        return el("li", null, asLink(a.Number, a.Origin || ("AS" + a.Number)),
          " ", el("span", { text: (a.Description || []).join(" · ") }));
      }))
      : el("span", { className: "muted", text: "None" });
    parts.push(el("div", { className: "whois-top" }, left,
      el("div", { className: "whois-asn" }, el("h4", { text: "Autonomous systems" }), asn)));
    parts.push(el("h4", { text: "Contacts" }));
    if (w.Contacts && w.Contacts.length) {
      parts.push(table("WHOIS contacts", [
        { label: "Role", cell: function (c) { return c.ContactRole; } },
        { label: "Name", cell: function (c) { return c.Name; } },
        { label: "Type", cell: function (c) { return c.ContactType; } },
        { label: "Organisation", cell: function (c) { return isKnown(c.OrganizationId) ? mono(c.OrganizationId) : null; } },
        { label: "Address", cell: function (c) { return (c.Address && c.Address.length) ? el("span", { className: "pre", text: c.Address.join("\n") }) : null; } },
        { label: "E-mail", cell: function (c) { return isKnown(c.Email) ? mono(c.Email) : null; } },
        { label: "Phone", cell: function (c) { return c.Phone; } },
        { label: "Fax", cell: function (c) { return c.Fax; } }
      ], w.Contacts));
    } else {
      parts.push(el("p", { className: "empty", text: "No contacts." }));
    }
    return card("WHOIS", null, parts, "card-whois");
  }

  function spamCard(s) {
    if (!s) return null;
    if (!s.spam_attacks) return card("Spam", 0, el("p", { className: "empty", text: "No spam attacks recorded." }), "card-small");
    return card("Spam", s.spam_attacks, facts([
      ["Attacks", num(s.spam_attacks)],
      ["Spam ratio", typeof s.spam_ratio === "number" ? (s.spam_ratio * 100).toFixed(s.spam_ratio > 0 && s.spam_ratio < 0.01 ? 2 : 1) + " %" : null],
      ["Last attack", when(s.last_attack_date)],
      ["Attack types", chips(s.spam_attack_types)]
    ]), "card-small");
  }

  function phishingCard(p) {
    if (!p) return null;
    if (!p.phishing_attacks) return card("Phishing", 0, el("p", { className: "empty", text: "No phishing attacks recorded." }), "card-small");
    return card("Phishing", p.phishing_attacks, facts([
      ["Attacks", num(p.phishing_attacks)],
      ["Last attack", when(p.last_attack_date)],
      ["Phishing kit", isKnown(p.phish_kit) ? mono(p.phish_kit) : null],
      ["Regions", chips(p.regions)],
      ["Stolen data", chips(p.stolen_data_type)],
      ["Industries", chips(p.attacked_industry)],
      ["Organisations", chips(p.attacked_organization)]
    ]), "card-small");
  }

  function industriesCard(list) {
    if (!Array.isArray(list)) return null;
    return card("Industries", list.length, list.length ? chips(list) : el("p", { className: "empty", text: "No targeted industries known." }), "card-small");
  }

  // verdictNote is the header's Verdict fact (null for Red, Orange and
  // Yellow, whose reasons the evidence shows). It tells apart the reasons an address has no zone of
  // concern: a reserved address is not scored, an address without any
  // evidence has no data, and one with some evidence scored below the 50
  // that Orange needs (docs/scoring.md, "Zones").
  function verdictNote(d) {
    var g = d.IpGeneralInfo || {};
    var text = null;
    if (g.Status === "Reserved") {
      text = "Not scored: reserved address (special-purpose range)";
    } else if (d.Zone === "Grey") {
      var lists = ["HostedUrls", "FilesDownloadedFromIp", "FeedMasks", "IpDnsResolutions"].some(function (k) {
        return Array.isArray(d[k]) && d[k].length > 0;
      });
      var evidence = g.ThreatScore > 0 || g.HitsCount > 0 || lists ||
        (Array.isArray(g.Categories) && g.Categories.length > 0) || g.HasApt;
      text = evidence
        ? "Some evidence, below the threshold: threat score " + (typeof g.ThreatScore === "number" ? g.ThreatScore : 0) + " of the 50 Orange needs"
        : "No data: nothing is known about this address";
    } else if (d.Zone === "Green") {
      text = "Known benign: on an allow list";
    }
    return text === null ? null : ["Verdict", el("span", { id: "verdict-note", text: text }), true];
  }

  // ---- Answer tools and the recent lookups of this tab ------------------

  var RECENT_KEY = "tipd.recent";
  var RECENT_MAX = 10;

  function recentLookups() {
    var s = storage();
    if (!s) return [];
    try {
      var v = JSON.parse(s.getItem(RECENT_KEY) || "[]");
      return Array.isArray(v) ? v.filter(function (x) { return x && KINDS[x.kind] && typeof x.value === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  // rememberLookup puts a lookup first in the tab's recent lookups (kept
  // in session storage, like the token: gone with the tab).
  function rememberLookup(kind, value, zone) {
    var s = storage();
    if (!s) return;
    var list = recentLookups().filter(function (x) { return !(x.kind === kind && x.value === value); });
    list.unshift({ kind: kind, value: value, zone: ZONES[zone] ? zone : "" });
    try { s.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX))); } catch (e) { /* storage full: keep none */ }
    showRecent();
  }

  function showRecent() {
    var ol = $("recent-list");
    if (!ol) return;
    clear(ol);
    recentLookups().forEach(function (x) {
      ol.appendChild(el("li", null, x.zone ? zoneBadge(x.zone) : null, " ", pivot(x.value, x.value, x.kind)));
    });
    $("recent").hidden = !ol.firstChild;
  }

  // fileSafe turns an indicator into a part of a file name.
  function fileSafe(v) {
    return String(v).replace(/^[a-z]+:\/\//i, "").replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  }

  // answerTools are the buttons under a verdict: copy the indicator,
  // export the answer as JSON (as shown) or as a STIX 2.1 bundle (the
  // same lookup with format=stix).
  function answerTools(kind, q, data) {
    var copy = el("button", { className: "btn btn-quiet btn-small", id: "copy-indicator", text: "Copy indicator", title: "Copy " + q, attrs: { type: "button" } });
    copy.addEventListener("click", function () {
      if (!navigator.clipboard) return;
      navigator.clipboard.writeText(q).then(function () {
        copy.textContent = "Copied";
        setStatus("Copied " + q + ".");
        setTimeout(function () { copy.textContent = "Copy indicator"; }, 1500);
      }, function () { setStatus("The browser refused the clipboard."); });
    });
    var base = "tipd-" + kind + "-" + fileSafe(q);
    var json = el("button", { className: "btn btn-quiet btn-small", id: "export-json", text: "JSON", attrs: { type: "button" } });
    json.addEventListener("click", function () {
      download(base + ".json", "application/json", JSON.stringify(data, null, 2) + "\n");
      setStatus("Exported the answer for " + q + " as JSON.");
    });
    var tools = [copy, el("span", { className: "bulk-export" }, "Export ", json)];
    if (kind !== "report") {
      var stix = el("button", { className: "btn btn-quiet btn-small", id: "export-stix", text: "STIX", attrs: { type: "button" } });
      stix.addEventListener("click", function () { exportSTIX(kind, q, base + ".stix.json"); });
      tools[1].appendChild(stix);
    }
    return el("div", { className: "answer-tools", attrs: { role: "group", "aria-label": "Answer tools" } }, tools);
  }

  // exportSTIX asks for the lookup as a STIX bundle and saves it.
  function exportSTIX(kind, q, name) {
    var token = keepToken();
    setStatus("Asking for the STIX bundle of " + q + "…");
    fetch(apiPath(kind, q, limit()) + "&format=stix", {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (resp) {
      return resp.text().then(function (body) {
        if (!resp.ok) throw new Error(resp.status + " " + (STATUS_TEXT[resp.status] || resp.statusText || "Error"));
        download(name, "application/stix+json", body);
        setStatus("Exported the answer for " + q + " as a STIX bundle.");
      });
    }).catch(function (err) {
      showAlert("Could not export the STIX bundle", "The server did not give it (" + (err && err.message ? err.message : "network error") + ").", null);
    });
  }

  function rawCard(data) {
    var pre = el("pre", { className: "raw-json", id: "raw-json", text: JSON.stringify(data, null, 2) });
    var copy = el("button", { className: "btn btn-quiet btn-small", text: "Copy", attrs: { type: "button" } });
    copy.addEventListener("click", function () {
      if (!navigator.clipboard) return;
      navigator.clipboard.writeText(pre.textContent).then(function () {
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = "Copy"; }, 1500);
      }, function () { /* clipboard refused: nothing to do */ });
    });
    return el("details", { className: "card raw", id: "raw" },
      el("summary", { text: "Raw JSON" }),
      el("div", { className: "raw-tools" }, copy), pre);
  }

  function generalExtras(info) {
    var parts = [];
    parts.push(el("div", { className: "summary-row" },
      el("h4", { text: "Categories" }),
      categoryChips(info.CategoriesWithZone, info.Categories)));
    var rt = reportsTable(info.RelatedAptReports);
    parts.push(el("div", { className: "summary-row" },
      el("h4", { text: "Threat reports" }),
      rt || el("span", { className: "muted", text: "None" })));
    return parts;
  }

  function renderIP(d, limit) {
    var g = d.IpGeneralInfo || {};
    var ro = d.RelatedObjects;
    var out = [];
    var kind = String(g.Ip || "").indexOf(":") >= 0 ? "IPv6 address" : "IPv4 address";
    out.push(summary(g.Ip, kind, d.Zone, g.ThreatScore, [
      verdictNote(d),
      ["Status", g.Status],
      ["Country", isKnown(g.CountryCode) ? mono(g.CountryCode) : null],
      headerAS(d.IpWhoIs),
      headerNetwork(d.IpWhoIs),
      ["Hits", num(g.HitsCount)],
      ["First seen", when(g.FirstSeen)],
      ["Related red objects", ro ? yesNo(ro.HasRedZone) : null],
      ["APT", yesNo(g.HasApt)]
    ], generalExtras(g)));
    out.push(licence(d.LicenseInfo));
    out.push(pagedListCard("Hosted URLs", d.HostedUrls, URL_COLUMNS, limit, "No web addresses known on this address.", "HostedUrls"));
    out.push(pagedListCard("Files downloaded", d.FilesDownloadedFromIp, FILE_COLUMNS, limit, "No downloaded files known.", "FilesDownloadedFromIp"));
    out.push(pagedListCard("Feed masks", d.FeedMasks, MASK_COLUMNS, limit, "No feed mask covers this address.", "FeedMasks"));
    out.push(pagedListCard("DNS resolutions", d.IpDnsResolutions, DNS_COLUMNS, limit, "No domains known to resolve here.", "IpDnsResolutions"));
    out.push(whoisCard(d.IpWhoIs));
    var small = [spamCard(d.IPSpamInfo), phishingCard(d.IPPhishingInfo), industriesCard(d.Industries)].filter(Boolean);
    if (small.length) out.push(el("div", { className: "cards-3" }, small));
    return out;
  }

  // hostPivot links a host to its own lookup: an address or a domain.
  function hostPivot(host) {
    if (!isKnown(host)) return null;
    var h = String(host).replace(/^\[|\]$/g, "");
    return /^[0-9.]+$|:/.test(h) ? pivot(h, h, "ip") : pivot(h, h, "domain");
  }

  var RES_COLUMNS = [
    { label: "Zone", cell: function (r) { return zoneBadge(r.Zone); } },
    { label: "Address", cell: function (r) { return isKnown(r.Ip) ? pivot(r.Ip, r.Ip, "ip") : null; } },
    { label: "Threat score", cell: function (r) { return num(r.ThreatScore); }, cls: "num" },
    { label: "Hits", cell: function (r) { return num(r.HitsCount); }, cls: "num" },
    { label: "Daily peak", cell: function (r) { return num(r.DailyPeak); }, cls: "num" },
    { label: "Peak date", cell: function (r) { return when(r.PeakDate); }, cls: "date" },
    { label: "First seen", cell: function (r) { return when(r.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (r) { return when(r.LastSeen); }, cls: "date" }
  ];

  var ACCESS_COLUMNS = [
    { label: "Zone", cell: function (f) { return zoneBadge(f.Zone); } },
    { label: "MD5", cell: function (f) { return isKnown(f.Md5) ? pivot(f.Md5, f.Md5, "hash") : null; } },
    { label: "Detection", cell: function (f) { return isKnown(f.DetectionName) ? mono(f.DetectionName) : null; } },
    { label: "Address contacted", cell: function (f) { return isKnown(f.Url) ? pivot(f.Url, withScheme(f.Url), "url") : null; }, cls: "wrap" },
    { label: "Hits", cell: function (f) { return num(f.AccessHitsCount); }, cls: "num" },
    { label: "First seen", cell: function (f) { return when(f.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (f) { return when(f.LastSeen); }, cls: "date" }
  ];

  var REF_COLUMNS = [
    { label: "Zone", cell: function (u) { return zoneBadge(u.Zone); } },
    { label: "URL", cell: function (u) { return isKnown(u.Url) ? pivot(u.Url, withScheme(u.Url), "url") : null; }, cls: "wrap" },
    { label: "First seen", cell: function (u) { return when(u.FirstSeen); }, cls: "date" },
    { label: "Last seen", cell: function (u) { return when(u.LastSeen); }, cls: "date" }
  ];

  var SUB_COLUMNS = [
    { label: "Zone", cell: function (x) { return zoneBadge(x.Zone); } },
    { label: "Name", cell: function (x) { return isKnown(x.Subdomain) ? pivot(x.Subdomain, x.Subdomain, "domain") : null; }, cls: "wrap" },
    { label: "Files", cell: function (x) { return num(x.FilesCount); }, cls: "num" },
    { label: "URLs", cell: function (x) { return num(x.UrlsCount); }, cls: "num" },
    { label: "Hits", cell: function (x) { return num(x.HitsCount); }, cls: "num" }
  ];

  var FILE_URL_COLUMNS = [
    { label: "Zone", cell: function (u) { return zoneBadge(u.Zone); } },
    { label: "URL", cell: function (u) { return isKnown(u.Url) ? pivot(u.Url, withScheme(u.Url), "url") : null; }, cls: "wrap" },
    { label: "Host", cell: function (u) { return hostPivot(u.Domain); }, cls: "wrap" },
    { label: "Hits", cell: function (u) { return num(isKnown(u.DownloadHitsCount) ? u.DownloadHitsCount : u.AccessHitsCount); }, cls: "num" },
    { label: "First", cell: function (u) { return when(isKnown(u.FirstDownloadDate) ? u.FirstDownloadDate : u.FirstAccessDate); }, cls: "date" },
    { label: "Last", cell: function (u) { return when(isKnown(u.LastDownloadDate) ? u.LastDownloadDate : u.LastAccessDate); }, cls: "date" }
  ];

  var DETECTION_COLUMNS = [
    { label: "Zone", cell: function (x) { return zoneBadge(x.Zone); } },
    { label: "Detection", cell: function (x) { return mono(x.DetectionName); }, cls: "wrap" },
    { label: "Method", cell: function (x) { return x.DetectionMethod; } },
    { label: "Description", cell: function (x) { return isKnown(x.DescriptionUrl) ? mono(x.DescriptionUrl) : null; }, cls: "wrap" },
    { label: "Last detected", cell: function (x) { return when(x.LastDetectDate); }, cls: "date" }
  ];

  var RELATED_FILE_COLUMNS = [
    { label: "Zone", cell: function (f) { return zoneBadge(f.Zone); } },
    { label: "MD5", cell: function (f) { return isKnown(f.Md5) ? pivot(f.Md5, f.Md5, "hash") : null; } },
    { label: "Name", cell: function (f) { return isKnown(f.Name) ? mono(f.Name) : null; } },
    { label: "Path", cell: function (f) { return isKnown(f.Path) ? mono((f.Location || "") + f.Path) : null; }, cls: "wrap" },
    { label: "Detection", cell: function (f) { return isKnown(f.DetectionName) ? mono(f.DetectionName) : null; } },
    { label: "Hits", cell: function (f) { return num(f.HitsCount); }, cls: "num" },
    { label: "Last", cell: function (f) { return when(isKnown(f.LastStartDate) ? f.LastStartDate : f.LastDownloadDate); }, cls: "date" }
  ];

  var CERT_COLUMNS = [
    { label: "Publisher", cell: function (c) { return c.Publisher; } },
    { label: "Issuer", cell: function (c) { return c.Vendor; } },
    { label: "Serial", cell: function (c) { return isKnown(c.SerialNumber) ? mono(c.SerialNumber) : null; } },
    { label: "Signed", cell: function (c) { return when(c.TimeStamp); }, cls: "date" },
    { label: "Issued", cell: function (c) { return when(c.Issued); }, cls: "date" },
    { label: "Expires", cell: function (c) { return when(c.Expires); }, cls: "date" }
  ];

  // domainWhoisCard shows a domain's registration record.
  function domainWhoisCard(w, title) {
    if (!w) return null;
    var r = w.Registrar || {};
    var parts = [facts([
      ["Registered domain", isKnown(w.DomainName) ? pivot(w.DomainName, w.DomainName, "domain") : null],
      ["Registrar", r.Info],
      ["IANA id", isKnown(r.IanaId) ? mono(r.IanaId) : null],
      ["Registrar e-mail", isKnown(r.Email) ? mono(r.Email) : null],
      ["Created", when(w.Created)],
      ["Updated", when(w.Updated)],
      ["Expires", when(w.Expires)],
      ["Name servers", (w.NameServers && w.NameServers.length) ? el("ul", { className: "chips" }, w.NameServers.map(function (n) {
        return el("li", { className: "chip" }, pivot(n, n, "domain"));
      })) : null, true],
      ["Status", (w.DomainStatus && w.DomainStatus.length) ? chips(w.DomainStatus) : null, true]
    ], "facts-whois")];
    parts.push(el("h4", { text: "Contacts" }));
    if (w.Contacts && w.Contacts.length) {
      parts.push(table(title + " contacts", [
        { label: "Type", cell: function (c) { return c.ContactType; } },
        { label: "Name", cell: function (c) { return c.Name; } },
        { label: "Organisation", cell: function (c) { return c.Organization; } },
        { label: "Country", cell: function (c) { return isKnown(c.CountryCode) ? mono(c.CountryCode) : null; } },
        { label: "E-mail", cell: function (c) { return isKnown(c.Email) ? mono(c.Email) : null; } },
        { label: "Phone", cell: function (c) { return c.Phone; } }
      ], w.Contacts));
    } else {
      parts.push(el("p", { className: "empty", text: "No contacts." }));
    }
    return card(title, null, parts, "card-whois");
  }

  function renderURL(d, limit) {
    var g = d.UrlGeneralInfo || {};
    var ro = d.RelatedObjects;
    var out = [];
    out.push(summary(g.Url, "Web address", d.Zone, undefined, [
      ["Host", hostPivot(g.Host)],
      ["IPv4 addresses", num(g.Ipv4Count)],
      ["Files", num(g.FilesCount)],
      ["Related red objects", ro ? yesNo(ro.HasRedZone) : null],
      ["APT", yesNo(g.HasApt)]
    ], generalExtras(g)));
    out.push(licence(d.LicenseInfo));
    out.push(pagedListCard("Files downloaded", d.FilesDownloaded, FILE_COLUMNS, limit, "No files known to be downloaded from this address.", "FilesDownloaded"));
    out.push(pagedListCard("Files that contacted it", d.FilesAccessed, ACCESS_COLUMNS, limit, "No files known to contact this address.", "FilesAccessed"));
    out.push(listCard("Feed masks", d.FeedMasks, MASK_COLUMNS, limit, "No feed mask covers this web address."));
    out.push(pagedListCard("Host's DNS resolutions", d.DomainDnsResolutions, RES_COLUMNS, limit, "No resolutions known for its host.", "DomainDnsResolutions"));
    out.push(pagedListCard("Referred from", d.UrlReferrals, REF_COLUMNS, limit, "No pages known to link here.", "UrlReferrals"));
    out.push(pagedListCard("Refers to", d.UrlReferredTo, REF_COLUMNS, limit, "No links known from here.", "UrlReferredTo"));
    out.push(domainWhoisCard(d.UrlDomainWhoIs, "Host's domain WHOIS"));
    out.push(industriesCard(d.Industries));
    return out;
  }

  function renderDomain(d, limit) {
    var g = d.DomainGeneralInfo || {};
    var ro = d.RelatedObjects;
    var out = [];
    out.push(summary(g.Domain, "Domain", d.Zone, undefined, [
      ["Files", num(g.FilesCount)],
      ["Web addresses", num(g.UrlsCount)],
      ["Hits", num(g.HitsCount)],
      ["IPv4 addresses", num(g.Ipv4Count)],
      ["Related red objects", ro ? yesNo(ro.HasRedZone) : null],
      ["APT", yesNo(g.HasApt)]
    ], generalExtras(g)));
    out.push(licence(d.LicenseInfo));
    out.push(pagedListCard("DNS resolutions", d.DomainDnsResolutions, RES_COLUMNS, limit, "No addresses known for this name.", "DomainDnsResolutions"));
    out.push(pagedListCard("Files downloaded", d.FilesDownloaded, FILE_COLUMNS, limit, "No files known to be downloaded from this name.", "FilesDownloaded"));
    out.push(pagedListCard("Files that contacted it", d.FilesAccessed, ACCESS_COLUMNS, limit, "No files known to contact this name.", "FilesAccessed"));
    out.push(pagedListCard("Subdomains", d.Subdomains, SUB_COLUMNS, limit, "No names known below this one.", "Subdomains"));
    out.push(pagedListCard("Feed masks", d.FeedMasks, MASK_COLUMNS, limit, "No feed mask names this host.", "FeedMasks"));
    out.push(pagedListCard("Referred from", d.UrlReferrals, REF_COLUMNS, limit, "No pages known to link here.", "UrlReferrals"));
    out.push(pagedListCard("Refers to", d.UrlReferredTo, REF_COLUMNS, limit, "No links known from here.", "UrlReferredTo"));
    out.push(domainWhoisCard(d.DomainWhoIsInfo, "Domain WHOIS"));
    out.push(industriesCard(d.Industries));
    return out;
  }

  function renderFile(d, limit) {
    var g = d.FileGeneralInfo || {};
    var ro = d.RelatedObjects;
    var out = [];
    var subject = g.Sha256 || g.Sha1 || g.Md5;
    var hashFact = function (h) { return isKnown(h) ? pivot(h, h, "hash") : null; };
    out.push(summary(subject, "File", d.Zone, undefined, [
      ["Status", g.FileStatus],
      ["MD5", hashFact(g.Md5)],
      ["SHA-1", hashFact(g.Sha1)],
      ["SHA-256", hashFact(g.Sha256), true],
      ["Type", isKnown(g.Type) ? mono(g.Type) : null],
      ["Size", isKnown(g.Size) ? num(g.Size) + " bytes" : null],
      ["Packer", g.Packer],
      ["Signer", isKnown(g.Signer) ? el("span", null, g.Signer, " ", zoneBadge(g.SignerZone), " ", g.SignerStatus || "") : null],
      ["Hits", num(g.HitsCount)],
      ["First seen", when(g.FirstSeen)],
      ["Last seen", when(g.LastSeen)],
      ["Related red objects", ro ? yesNo(ro.HasRedZone) : null],
      ["APT", yesNo(g.HasApt)]
    ], generalExtras(g)));
    out.push(licence(d.LicenseInfo));
    out.push(listCard("Detections", d.DetectionsInfo, DETECTION_COLUMNS, Infinity, "No detections known."));
    out.push(pagedListCard("Downloaded from", d.FileDownloadedFromUrls, FILE_URL_COLUMNS, limit, "No web addresses known to serve this file.", "FileDownloadedFromUrls"));
    out.push(pagedListCard("Web addresses it contacted", d.FileAccessedUrls, FILE_URL_COLUMNS, limit, "No web addresses known to be contacted by this file.", "FileAccessedUrls"));
    out.push(pagedListCard("Names", d.FileNames, [
      { label: "Name", cell: function (x) { return mono(x.FileName); }, cls: "wrap" },
      { label: "Hits", cell: function (x) { return num(x.FileNamesHitsCount); }, cls: "num" }
    ], limit, "No file names known.", "FileNames"));
    out.push(pagedListCard("Paths", d.FilePaths, [
      { label: "Location", cell: function (x) { return isKnown(x.Location) ? mono(x.Location) : null; } },
      { label: "Path", cell: function (x) { return mono(x.Path); }, cls: "wrap" },
      { label: "Hits", cell: function (x) { return num(x.FilePathHitsCount); }, cls: "num" }
    ], limit, "No paths known.", "FilePaths"));
    out.push(pagedListCard("Files it started", d.FileStartedObjects, RELATED_FILE_COLUMNS, limit, "None known.", "FileStartedObjects"));
    out.push(pagedListCard("Started by", d.FileStartedBy, RELATED_FILE_COLUMNS, limit, "None known.", "FileStartedBy"));
    out.push(pagedListCard("Files it downloaded", d.FileDownloadedObjects, RELATED_FILE_COLUMNS, limit, "None known.", "FileDownloadedObjects"));
    out.push(pagedListCard("Downloaded by", d.FileDownloadedBy, RELATED_FILE_COLUMNS, limit, "None known.", "FileDownloadedBy"));
    out.push(pagedListCard("Certificates", d.FileCertificates, CERT_COLUMNS, limit, "Not signed, or no certificate known.", "FileCertificates"));
    out.push(listCard("Parent certificates", d.FileParentCertificates, CERT_COLUMNS, Infinity, "No certificate chain known."));
    out.push(industriesCard(d.Industries));
    return out;
  }

  // renderReport shows a threat report (publications get_one answer);
  // each indicator links to its own lookup.
  function renderReport(pub) {
    var out = [];
    var unix = function (u) { return typeof u === "number" ? when(new Date(u * 1000).toISOString().replace(/\.\d+Z$/, "Z")) : null; };
    out.push(el("section", { className: "card summary summary-Grey", attrs: { "aria-labelledby": "result-title" } },
      el("div", { className: "summary-head" },
        el("div", { className: "subject" },
          el("div", { className: "subject-kind", text: "Threat report · " + (pub.report_group || "") }),
          el("h2", { id: "result-title", className: "subject-value", text: pub.name || pub.id, attrs: { tabindex: "-1" } }))),
      facts([
        ["Id", mono(pub.id)],
        ["Published", unix(pub.published)],
        ["Updated", unix(pub.updated)],
        ["Tags", chips(pub.tags)],
        ["Industries", chips(pub.tags_industry)],
        ["Regions", chips(pub.tags_geo)],
        ["Actors", chips(pub.tags_actors)],
        ["Description", isKnown(pub.desc) ? el("span", { className: "pre desc", text: pub.desc }) : null, true]
      ], "facts-summary")));
    var inds = Array.isArray(pub.indicators) ? pub.indicators : [];
    out.push(card("Indicators", pub.indicators_count, inds.length
      ? el("ul", { className: "chips indicators" }, inds.map(function (x) { return el("li", { className: "chip" }, pivotAny(x)); }))
      : el("p", { className: "empty", text: "No indicators." }), "card-list"));
    return out;
  }

  // ---- Why this verdict ---------------------------------------------------

  // Rules that decide a zone without points (docs/scoring.md): shown first
  // among the pieces of equal points and named above the table.
  var DECISIVE = { "allow-list": 1, "known-benign": 1, "reserved": 1, "zone-floor": 1, "mask": 1,
    "recorded-zone": 1, "host-zone": 1, "cap": 1, "detection": 1, "file-listing": 1, "file-report": 1 };
  var REPORT_RULES = { "report": 1, "further-report": 1, "file-report": 1 };

  // strongestFirst orders the pieces of evidence by their points, highest
  // first; among equal points the rules that decide a zone come first,
  // then the order the rules weighed them in.
  function strongestFirst(list) {
    return list.map(function (e, i) { return { e: e, i: i }; }).sort(function (a, b) {
      var pa = typeof a.e.Points === "number" ? a.e.Points : 0;
      var pb = typeof b.e.Points === "number" ? b.e.Points : 0;
      if (pa !== pb) return pb - pa;
      var da = DECISIVE[a.e.Rule] ? 0 : 1, db = DECISIVE[b.e.Rule] ? 0 : 1;
      return da !== db ? da - db : a.i - b.i;
    }).map(function (x) { return x.e; });
  }

  function points(p) {
    if (typeof p !== "number") return DASH;
    return p > 0 ? "+" + p : p < 0 ? "\u2212" + (-p) : "0";
  }

  var WHY_COLUMNS = [
    { label: "Points", cell: function (e) {
      return el("span", { className: "pts " + (e.Points > 0 ? "pts-plus" : e.Points < 0 ? "pts-minus" : "pts-zero"), text: points(e.Points) });
    }, cls: "num" },
    { label: "Evidence", cell: function (e) {
      return el("span", null, el("span", { className: "tag tag-rule" + (DECISIVE[e.Rule] ? " tag-decisive" : ""), text: e.Rule, title: "Scoring rule (docs/scoring.md)" }),
        " ", isKnown(e.Evidence) ? mono(e.Evidence) : null);
    }, cls: "wrap" },
    { label: "Source", cell: function (e) {
      var srcFeed = isKnown(e.Source) && !REPORT_RULES[e.Rule] && (e.Source === e.Feed || /^listing /.test(String(e.Evidence || "")));
      var src = isKnown(e.Source) ? (REPORT_RULES[e.Rule] ? pivot(e.Source, e.Source, "report")
        : srcFeed ? el("strong", { className: "why-source" }, feedLink(e.Source)) : el("strong", { className: "why-source", text: e.Source })) : null;
      var prov = [];
      if (isKnown(e.Feed) && e.Feed !== e.Source) prov.push(el("span", null, el("span", { className: "muted", text: "feed " }), feedLink(e.Feed)));
      if (isKnown(e.File)) prov.push(el("span", null, el("span", { className: "muted", text: "file " }), mono(e.File)));
      if (isKnown(e.Imported)) prov.push(el("span", null, el("span", { className: "muted", text: "imported " }), when(e.Imported)));
      if (!src && !prov.length) return null;
      return el("span", { className: "why-prov" }, src, prov.length ? el("span", { className: "why-meta" }, prov) : null);
    }, cls: "wrap" },
    { label: "How it was computed", cell: function (e) {
      var rec = [];
      if (typeof e.RecencyWeight === "number") rec.push("recency weight " + e.RecencyWeight);
      return el("span", { className: "why-how" }, isKnown(e.Note) ? el("span", { className: "why-note", text: e.Note }) : null,
        (rec.length || isKnown(e.RecencyDate)) ? el("span", { className: "why-meta" }, el("span", null,
          rec.length ? rec[0] : null, isKnown(e.RecencyDate) ? (rec.length ? ", dated " : "dated ") : null,
          isKnown(e.RecencyDate) ? when(e.RecencyDate) : null)) : null);
    }, cls: "wrap" }
  ];

  // whyCard shows GET /api/explain's answer: the evidence behind the
  // verdict, strongest first, with the rules that decided the zone.
  function whyCard(x) {
    var list = Array.isArray(x.Evidence) ? strongestFirst(x.Evidence) : [];
    var parts = [];
    var sum = typeof x.ThreatScore === "number"
      ? el("p", { className: "why-sum" }, "Threat score ", el("strong", { text: x.ThreatScore }), " = ",
        list.length ? list.filter(function (e) { return e.Points; }).map(function (e) { return points(e.Points); }).join(" ") || "0" : "0",
        " · zone ", zoneBadge(x.Zone))
      : el("p", { className: "why-sum" }, "Zone ", zoneBadge(x.Zone), isKnown(x.FileStatus) ? " · " + x.FileStatus : null);
    parts.push(sum);
    var decisive = [];
    list.forEach(function (e) { if (DECISIVE[e.Rule] && decisive.indexOf(e.Rule) < 0) decisive.push(e.Rule); });
    if (decisive.length) {
      parts.push(el("div", { className: "summary-row why-rules" }, el("h4", { text: "Rules that applied" }), chips(decisive, "chip-rule")));
    }
    if (!list.length) {
      parts.push(el("p", { className: "empty", text: x.Known === false ? "No evidence: nothing is known about this object." : "No evidence counted towards this verdict." }));
    } else {
      parts.push(table("Why this verdict", WHY_COLUMNS, list));
    }
    if (isKnown(x.ScoredAt)) parts.push(el("p", { className: "note" }, "Scored at ", when(x.ScoredAt), "; the same data as tipd explain."));
    return parts;
  }

  // explainInto fills the card with the explanation of the object looked
  // up (one more request, counted like a lookup).
  function explainInto(holder, q, token, ctl) {
    fetch("/api/explain?request=" + encodeURIComponent(q), {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer",
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (body) { return { resp: resp, body: body }; });
    }).then(function (x) {
      var data = null;
      try { data = JSON.parse(x.body); } catch (e) { data = null; }
      clear(holder);
      holder.removeAttribute("aria-busy");
      if (!x.resp.ok || !data || typeof data !== "object") {
        var msg = data && typeof data.message === "string" ? data.message : "the server answered " + x.resp.status + ".";
        append(holder, el("p", { className: "empty", text: "The evidence could not be loaded: " + msg }));
        return;
      }
      append(holder, whyCard(data));
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      clear(holder);
      append(holder, el("p", { className: "empty", text: "The evidence could not be loaded (" + (err && err.message ? err.message : "network error") + ")." }));
    });
  }

  // ---- State, routing and the API ---------------------------------------

  var inflight = null;

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function savedToken() {
    var s = storage();
    return s ? (s.getItem(TOKEN_KEY) || "") : "";
  }

  function showTokenState() {
    var has = savedToken() !== "";
    var st = $("token-state");
    st.textContent = has ? "held for this tab" : "not set";
    st.className = "token-state" + (has ? " token-set" : "");
    $("forget").disabled = !has && $("token").value === "";
  }

  function keepToken() {
    var v = $("token").value.trim();
    var s = storage();
    if (s && v) s.setItem(TOKEN_KEY, v);
    showTokenState();
    return v || savedToken();
  }

  function forgetToken() {
    var s = storage();
    if (s) s.removeItem(TOKEN_KEY);
    $("token").value = "";
    showTokenState();
    setStatus("The token was forgotten.");
    $("token").focus();
  }

  function setStatus(text) { $("status").textContent = text || ""; }

  function hideAlert() {
    var a = $("alert");
    a.hidden = true;
    clear(a);
  }

  function showAlert(title, message, code, kind) {
    var a = $("alert");
    clear(a);
    a.className = "alert alert-" + (kind || "error");
    append(a, [el("strong", { className: "alert-title", text: title }), " ",
      el("span", { className: "alert-msg", id: "alert-message", text: message })]);
    if (code) append(a, [" ", el("code", { className: "alert-code", text: code })]);
    a.hidden = false;
  }

  function clearResult() {
    var r = $("result");
    clear(r);
    r.hidden = true;
  }

  // currentRequest is the lookup the address bar names
  // (#/<kind>/<value>) as {kind, value}, or null. "#/ip/<web address>"
  // (links of earlier versions) is a web-address lookup.
  function currentRequest() {
    var m = ROUTE.exec(window.location.hash);
    if (!m) return null;
    var v;
    try { v = decodeURIComponent(m[2]); } catch (e) { return null; }
    if (!v.trim()) return null;
    var kind = m[1];
    if (kind === "ip" && /[\/]/.test(v)) kind = "url";
    return { kind: kind, value: v };
  }

  // apiPath is the same-origin request of a lookup.
  function apiPath(kind, v, n) {
    if (kind === "report") return "/api/publications/get_one?publication_id=" + encodeURIComponent(v);
    return "/api/" + kind + "/" + encodeURIComponent(v) + "?count=" + n;
  }

  function limit() {
    var n = parseInt($("count").value, 10);
    return n > 0 ? n : 100;
  }

  function lookup(kind, q) {
    q = q.trim();
    if (!q) return;
    hideAlert();
    clearResult();
    var token = keepToken();
    if (!token) {
      showAlert("API token needed", "Enter your API token at the top of the page, then look up “" + q + "” again.", null, "info");
      $("token").focus();
      return;
    }
    if (inflight) inflight.abort();
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    inflight = ctl;
    var n = limit();
    // The value is sent as typed (refanged); the portal never parses web
    // addresses itself and shows the host the server answered
    // (UrlGeneralInfo.Host).
    var url = apiPath(kind, q, n);
    $("go").disabled = true;
    $("result").setAttribute("aria-busy", "true");
    setStatus("Looking up " + q + "…");
    document.title = q + " · tipd";
    fetch(url, {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      referrerPolicy: "no-referrer",
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (body) { return { resp: resp, body: body }; });
    }).then(function (x) {
      if (inflight !== ctl) return;
      var data = null;
      try { data = JSON.parse(x.body); } catch (e) { data = null; }
      if (!x.resp.ok) {
        var title = x.resp.status + " " + (STATUS_TEXT[x.resp.status] || x.resp.statusText || "Error");
        var msg = data && typeof data.message === "string" ? data.message
          : data && typeof data.status_msg === "string" && data.status_msg ? data.status_msg
          : "The server answered without an explanation.";
        var retry = x.resp.headers.get("Retry-After");
        if (x.resp.status === 429 && retry) msg += " Retry in " + retry + " s.";
        showAlert(title, msg, data && typeof data.error === "string" ? data.error : null);
        setStatus("The lookup of " + q + " failed: " + title + ".");
        if (x.resp.status === 401) $("token").focus();
        return;
      }
      if (!data || typeof data !== "object") {
        showAlert("Unreadable answer", "The server's answer was not JSON.", null);
        setStatus("");
        return;
      }
      listPaging = { kind: kind, q: q, ctl: ctl };
      show(kind, q, kind === "report" ? (data.return_data || {}) : data, n);
      var why = $("why-body");
      if (why) explainInto(why, q, token, ctl);
    }).catch(function (err) {
      if (inflight !== ctl || (err && err.name === "AbortError")) return;
      showAlert("Could not reach the server", "The lookup did not complete (" + (err && err.message ? err.message : "network error") + "). Check the connection and try again.", null);
      setStatus("");
    }).then(function () {
      if (inflight === ctl) {
        inflight = null;
        $("go").disabled = false;
        $("result").removeAttribute("aria-busy");
      }
    });
  }

  // ---- Network and AS pages ------------------------------------------------

  // The page of a network (#/net/<CIDR>) or of an AS (#/as/<number>): the
  // addresses tipd knows in it, newest first, from GET /api/network, one
  // page at a time ("Show more" asks for the next with the answer's Next).
  var NET_ROUTE = /^#\/(net|as)\/(.+)$/;
  var netPage = { ctl: null, request: "", next: "", shown: 0 };

  // asLink links an AS number ("AS64500" or 64500) to its page.
  function asLink(number, text) {
    var n = String(number).replace(/^AS/i, "");
    if (!/^\d{1,10}$/.test(n)) return mono(text || number);
    var a = el("a", { className: "mono pivot", text: text || ("AS" + n), title: "Addresses of AS" + n, attrs: { "data-kind": "as" } });
    a.href = "#/as/" + n;
    return a;
  }

  // netLink links a network (CIDR) to its page.
  function netLink(cidr, text) {
    var a = el("a", { className: "mono pivot", text: text || cidr, title: "Addresses in " + cidr, attrs: { "data-kind": "net" } });
    a.href = "#/net/" + encodeURIComponent(cidr);
    return a;
  }

  // addrValue reads an IPv4 or IPv6 address as {v: BigInt, bits}, or null.
  function addrValue(s) {
    s = String(s || "");
    var i, v = BigInt(0);
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
      var p = s.split(".");
      for (i = 0; i < 4; i++) {
        if (+p[i] > 255) return null;
        v = (v << BigInt(8)) | BigInt(+p[i]);
      }
      return { v: v, bits: 32 };
    }
    if (!/^[0-9a-fA-F:]+$/.test(s)) return null;
    var halves = s.split("::");
    if (halves.length > 2) return null;
    var head = halves[0] ? halves[0].split(":") : [];
    var tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
    var fill = 8 - head.length - tail.length;
    if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
    var groups = head.concat(new Array(halves.length === 2 ? fill : 0).fill("0"), tail);
    for (i = 0; i < 8; i++) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return null;
      v = (v << BigInt(16)) | BigInt(parseInt(groups[i], 16));
    }
    return { v: v, bits: 128 };
  }

  // addrText writes an address of addrValue's form (IPv6 with its longest
  // run of zero groups shortened).
  function addrText(v, bits) {
    var i, out = [];
    if (bits === 32) {
      for (i = 3; i >= 0; i--) out.push(String(Number((v >> BigInt(8 * i)) & BigInt(255))));
      return out.join(".");
    }
    for (i = 7; i >= 0; i--) out.push(Number((v >> BigInt(16 * i)) & BigInt(65535)).toString(16));
    var best = -1, bestLen = 1, run = -1;
    for (i = 0; i <= 8; i++) {
      if (i < 8 && out[i] === "0") { if (run < 0) run = i; continue; }
      if (run >= 0 && i - run > bestLen) { best = run; bestLen = i - run; }
      run = -1;
    }
    if (best < 0) return out.join(":");
    return out.slice(0, best).join(":") + "::" + out.slice(best + bestLen).join(":");
  }

  // rangeCIDR is the smallest network holding the range start–end (the
  // range itself when it is one network), or null.
  function rangeCIDR(start, end) {
    var a = addrValue(start), b = addrValue(end);
    if (!a || !b || a.bits !== b.bits) return null;
    var x = a.v ^ b.v, len = a.bits;
    while (x > BigInt(0)) { x >>= BigInt(1); len--; }
    var host = (BigInt(1) << BigInt(a.bits - len)) - BigInt(1);
    return addrText(a.v & ~host, a.bits) + "/" + len;
  }

  // rangeLink shows a WHOIS range start–end, linked to the page of the
  // network that holds it.
  function rangeLink(start, end) {
    var text = (start || "?") + " – " + (end || "?");
    var cidr = rangeCIDR(start, end);
    return cidr ? netLink(cidr, text) : mono(text);
  }

  // headerAS and headerNetwork are the address header's AS and network
  // range (from its WHOIS section), linked to their pages; null without
  // one.
  function headerAS(w) {
    var a = w && Array.isArray(w.Asn) && w.Asn[0];
    if (!a || !isKnown(a.Number)) return null;
    var name = (a.Description || []).join(" · ");
    return ["AS", el("span", null, asLink(a.Number), isKnown(name) ? " " + name : null)];
  }

  function headerNetwork(w) {
    var net = w && w.Net;
    if (!net || !isKnown(net.RangeStart) || !isKnown(net.RangeEnd)) return null;
    var cidr = rangeCIDR(net.RangeStart, net.RangeEnd);
    return cidr ? ["Network", netLink(cidr)] : null;
  }

  var NET_COLUMNS = [
    { label: "Zone", cell: function (x) { return zoneBadge(x.Zone); } },
    { label: "Address", cell: function (x) { return isKnown(x.Ip) ? pivot(x.Ip, x.Ip, "ip") : null; } },
    { label: "Score", cell: function (x) { return num(x.Score); }, cls: "num" },
    { label: "Hits", cell: function (x) { return num(x.Hits); }, cls: "num" },
    { label: "Last seen", cell: function (x) { return when(x.LastSeen); }, cls: "date" },
    { label: "Categories", cell: function (x) { return categoryChips(null, x.Categories); } }
  ];

  // networkFetch asks for one page of request after the cursor after.
  function networkFetch(request, after, token, ctl) {
    var url = "/api/network?request=" + encodeURIComponent(request) + "&count=" + Math.min(limit(), 500) +
      (after ? "&after=" + encodeURIComponent(after) : "");
    return fetch(url, {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      referrerPolicy: "no-referrer",
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (body) {
        var data = null;
        try { data = JSON.parse(body); } catch (e) { data = null; }
        if (!resp.ok) {
          var title = resp.status + " " + (STATUS_TEXT[resp.status] || resp.statusText || "Error");
          var msg = data && typeof data.message === "string" ? data.message : "The server answered without an explanation.";
          var err = new Error(msg);
          err.title = title;
          err.code = data && typeof data.error === "string" ? data.error : null;
          throw err;
        }
        if (!data || !Array.isArray(data.Items)) throw new Error("The server's answer was not the expected JSON.");
        return data;
      });
    });
  }

  // renderNetwork shows the first page of a network or an AS.
  function renderNetwork(data, request) {
    var isAS = !isKnown(data.Network);
    var subject = isAS ? "AS" + (data.AS ? data.AS.Number : String(request).replace(/^AS/i, "")) : data.Network;
    var pairs = [];
    if (data.AS) {
      if (!isAS) pairs.push(["AS", asLink(data.AS.Number)]);
      pairs.push(["Organisation", isKnown(data.AS.Name) ? data.AS.Name : null]);
      pairs.push(["Country", isKnown(data.AS.Country) ? mono(data.AS.Country) : null]);
    }
    if (Array.isArray(data.Networks)) {
      pairs.push(["Networks", el("ul", { className: "chips" }, data.Networks.map(function (n) {
        return el("li", { className: "chip" }, netLink(n));
      })), true]);
    }
    var head = el("section", { className: "card summary summary-net", attrs: { "aria-labelledby": "result-title" } },
      el("div", { className: "summary-head" },
        el("div", { className: "subject" },
          el("div", { className: "subject-kind", text: isAS ? "Autonomous system" : "Network" }),
          el("h2", { id: "result-title", className: "mono subject-value", text: subject, attrs: { tabindex: "-1" } }))),
      facts(pairs, "facts-summary"),
      data.Truncated ? el("p", { className: "note", id: "net-truncated", text: "This AS announces more networks than one page reads: only the addresses of its first networks are listed." }) : null);
    var wrap = table("Addresses in " + subject, NET_COLUMNS, data.Items);
    var count = el("span", { className: "count", id: "net-count", text: num(data.Items.length) });
    var more = el("button", { id: "net-more", className: "btn btn-quiet net-more", text: "Show more", attrs: { type: "button" } });
    more.hidden = !data.Next;
    more.addEventListener("click", networkMore);
    var list = el("section", { className: "card card-list", attrs: { "aria-labelledby": "net-list-title" } },
      el("h3", { id: "net-list-title" }, "Addresses, newest first", count),
      data.Items.length ? wrap : el("p", { className: "empty", text: "No address with evidence is known in " + subject + "." }),
      el("p", { className: "note", text: "Every address tipd holds evidence for, newest first; the zone and score are those of its own lookup." }),
      more);
    return [head, list];
  }

  // networkMore appends the next page to the list.
  function networkMore() {
    var token = keepToken();
    var btn = $("net-more");
    if (!token || !netPage.next || !btn) return;
    var ctl = netPage.ctl;
    btn.disabled = true;
    setStatus("Loading more addresses of " + netPage.request + "…");
    networkFetch(netPage.request, netPage.next, token, ctl).then(function (data) {
      if (netPage.ctl !== ctl) return;
      var tbody = $("result").querySelector("table.grid tbody");
      if (tbody) {
        data.Items.forEach(function (it) {
          var row = el("tr");
          NET_COLUMNS.forEach(function (c) {
            var v = c.cell(it);
            row.appendChild(el("td", { className: c.cls || "" }, isKnown(v) ? v : el("span", { className: "muted", text: DASH })));
          });
          tbody.appendChild(row);
        });
      }
      netPage.shown += data.Items.length;
      netPage.next = data.Next || "";
      $("net-count").textContent = num(netPage.shown);
      btn.hidden = !netPage.next;
      setStatus(netPage.request + ": " + num(netPage.shown) + " addresses shown" + (netPage.next ? "; there are more." : "."));
    }).catch(function (err) {
      if (netPage.ctl !== ctl || (err && err.name === "AbortError")) return;
      showAlert(err.title || "Could not load more", err.message || "network error", err.code || null);
    }).then(function () {
      if (netPage.ctl === ctl) btn.disabled = false;
    });
  }

  // networkRoute shows the network or AS page the address bar names, and
  // reports whether it names one.
  function networkRoute() {
    var m = NET_ROUTE.exec(window.location.hash);
    if (!m) return false;
    var v;
    try { v = decodeURIComponent(m[2]).trim(); } catch (e) { return false; }
    var request = m[1] === "as" ? "AS" + v.replace(/^AS/i, "") : v;
    hideAlert();
    clearResult();
    var token = keepToken();
    if (!token) {
      showAlert("API token needed", "Enter your API token at the top of the page, then open " + request + " again.", null, "info");
      $("token").focus();
      return true;
    }
    if (inflight) inflight.abort();
    if (netPage.ctl) netPage.ctl.abort();
    var ctl = typeof AbortController === "function" ? new AbortController() : {};
    netPage = { ctl: ctl, request: request, next: "", shown: 0 };
    document.title = request + " · tipd";
    setStatus("Listing the addresses of " + request + "…");
    $("result").setAttribute("aria-busy", "true");
    networkFetch(request, "", token, ctl.signal ? ctl : null).then(function (data) {
      if (netPage.ctl !== ctl) return;
      var r = $("result");
      clear(r);
      sectionSeq = 0;
      r.setAttribute("data-kind", "network");
      append(r, renderNetwork(data, request));
      append(r, rawCard(data));
      r.hidden = false;
      netPage.next = data.Next || "";
      netPage.shown = data.Items.length;
      var title = $("result-title");
      if (title && (!document.activeElement || document.activeElement === document.body)) title.focus();
      setStatus(request + ": " + num(data.Items.length) + " addresses shown" + (netPage.next ? "; there are more." : "."));
    }).catch(function (err) {
      if (netPage.ctl !== ctl || (err && err.name === "AbortError")) return;
      showAlert(err.title || "Could not reach the server", err.message || "network error", err.code || null);
      setStatus("");
    }).then(function () {
      if (netPage.ctl === ctl) $("result").removeAttribute("aria-busy");
    });
    return true;
  }

  // ---- Feed pages -------------------------------------------------------------

  // The page of a feed (#/feed/<name>): what this server knows of it, from
  // GET /api/feed: the date of its latest version imported, and the state
  // of its fetches when this server fetches it.
  var FEED_ROUTE = /^#\/feed\/(.+)$/;
  var feedCtl = null;

  // feedLink links a feed name to its page.
  function feedLink(name, cls) {
    var a = el("a", { className: "pivot" + (cls ? " " + cls : ""), text: name, title: "About the feed " + name, attrs: { "data-kind": "feed" } });
    a.href = "#/feed/" + encodeURIComponent(name);
    return a;
  }

  // feedChips are feed names as chips, each linked to its page.
  function feedChips(list) {
    if (!list || !list.length) return el("span", { className: "muted", text: "None" });
    return el("ul", { className: "chips" }, list.map(function (x) { return el("li", { className: "chip" }, feedLink(x)); }));
  }

  function renderFeed(d) {
    var f = d.Fetched;
    var every = f && typeof f.IntervalSeconds === "number"
      ? (f.IntervalSeconds % 3600 === 0 ? f.IntervalSeconds / 3600 + " h" : f.IntervalSeconds % 60 === 0 ? f.IntervalSeconds / 60 + " min" : f.IntervalSeconds + " s")
      : null;
    var pairs = [["Latest version imported", isKnown(d.LatestVersion) ? when(d.LatestVersion) : null]];
    if (f) {
      pairs.push(["Fetched by", f.Elsewhere ? "another tipd server sharing the store" : "this server"]);
      pairs.push(["Format", isKnown(f.Format) ? mono(f.Format) : null]);
      pairs.push(["Every", every]);
      pairs.push(["Last success", when(f.LastSuccess)]);
      pairs.push(["Last import", when(f.LastImport)]);
      pairs.push(["Records of the last import", num(f.LastApplied)]);
      pairs.push(["Failures since start", num(f.Failures)]);
      pairs.push(["Last failure", when(f.LastFailure)]);
      pairs.push(["Next fetch", f.Elsewhere ? null : when(f.NextRun)]);
    } else {
      pairs.push(["Fetched by", "not this server: its records come from imported files or another server"]);
    }
    return [el("section", { className: "card summary summary-net", attrs: { "aria-labelledby": "result-title" } },
      el("div", { className: "summary-head" },
        el("div", { className: "subject" },
          el("div", { className: "subject-kind", text: "Feed" }),
          el("h2", { id: "result-title", className: "subject-value", text: d.Name, attrs: { tabindex: "-1" } }))),
      facts(pairs, "facts-summary"))];
  }

  // feedRoute shows the feed page the address bar names, and reports
  // whether it names one.
  function feedRoute() {
    var m = FEED_ROUTE.exec(window.location.hash);
    if (!m) return false;
    var name;
    try { name = decodeURIComponent(m[1]); } catch (e) { return false; }
    hideAlert();
    clearResult();
    var token = keepToken();
    if (!token) {
      showAlert("API token needed", "Enter your API token at the top of the page, then open the feed " + name + " again.", null, "info");
      $("token").focus();
      return true;
    }
    if (inflight) inflight.abort();
    if (feedCtl) feedCtl.abort();
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    feedCtl = ctl;
    document.title = name + " · tipd";
    setStatus("Reading what this server knows of the feed " + name + "…");
    fetch("/api/feed?name=" + encodeURIComponent(name), {
      method: "GET",
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" },
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      referrerPolicy: "no-referrer",
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (body) { return { resp: resp, body: body }; });
    }).then(function (x) {
      if (feedCtl !== ctl) return;
      var data = null;
      try { data = JSON.parse(x.body); } catch (e) { data = null; }
      if (!x.resp.ok || !data || typeof data !== "object") {
        var msg = data && typeof data.message === "string" ? data.message : "The server answered without an explanation.";
        showAlert(x.resp.status + " " + (STATUS_TEXT[x.resp.status] || x.resp.statusText || "Error"), msg, data && typeof data.error === "string" ? data.error : null, x.resp.status === 404 ? "info" : null);
        setStatus("");
        return;
      }
      var r = $("result");
      clear(r);
      sectionSeq = 0;
      r.setAttribute("data-kind", "feed");
      append(r, renderFeed(data));
      append(r, rawCard(data));
      r.hidden = false;
      var title = $("result-title");
      if (title && (!document.activeElement || document.activeElement === document.body)) title.focus();
      setStatus("Feed " + name + ".");
    }).catch(function (err) {
      if (feedCtl !== ctl || (err && err.name === "AbortError")) return;
      showAlert("Could not reach the server", err && err.message ? err.message : "network error", null);
      setStatus("");
    });
    return true;
  }

  // ---- Bulk lookup ---------------------------------------------------------

  // The rows of the last bulk answer (POST /api/bulk), in the order shown.
  var bulk = { rows: [], sortKey: null, sortDir: 1, ctl: null };

  var ZONE_RANK = { Red: 0, Orange: 1, Yellow: 2, Grey: 3, Green: 4 };

  // BULK_COLUMNS are the table's columns; key(row) is what a column sorts by.
  var BULK_COLUMNS = [
    { id: "indicator", label: "Indicator", key: function (r) { return String(r.Indicator || "").toLowerCase(); }, cell: function (r) {
      var k = r.Kind;
      var linked = r.Status === "ok" && isKnown(r.Value) && KINDS[k] && k !== "report";
      var text = r.Indicator;
      return el("span", null, linked ? pivot(text, k === "url" ? withScheme(r.Value) : r.Value, k) : mono(text),
        isKnown(r.Value) && r.Value !== text ? el("span", { className: "muted mono bulk-value", text: " " + r.Value }) : null);
    }, cls: "wrap" },
    { id: "kind", label: "Kind", key: function (r) { return r.Kind || "~"; }, cell: function (r) { return r.Kind; } },
    { id: "zone", label: "Zone", key: function (r) { return isKnown(r.Zone) ? ZONE_RANK[r.Zone] : 9; }, cell: function (r) { return isKnown(r.Zone) ? zoneBadge(r.Zone) : null; } },
    { id: "score", label: "Score", key: function (r) { return typeof r.ThreatScore === "number" ? -r.ThreatScore : 1; }, cell: function (r) { return typeof r.ThreatScore === "number" ? num(r.ThreatScore) : null; }, cls: "num" },
    { id: "category", label: "Top category", key: function (r) { return r.TopCategory ? categoryName(r.TopCategory) : "~"; }, cell: function (r) { return r.TopCategory ? categoryName(r.TopCategory) : null; } },
    { id: "country", label: "Country", key: function (r) { return r.Country || "~"; }, cell: function (r) { return isKnown(r.Country) ? mono(r.Country) : null; } },
    { id: "as", label: "AS", key: function (r) { return isKnown(r.ASN) ? parseInt(String(r.ASN).slice(2), 10) : Infinity; }, cell: function (r) {
      return isKnown(r.ASN) ? el("span", { title: r.ASName || "" }, asLink(r.ASN), isKnown(r.ASName) ? " " + r.ASName : null) : null;
    }, cls: "wrap" },
    { id: "status", label: "Status", key: function (r) { return r.Status; }, cell: function (r) {
      if (r.Status === "ok") return el("span", { className: "row-status muted", text: "ok" });
      var cls = r.Status === "held" ? "row-held" : r.Status === "invalid" ? "row-invalid" : "row-limited";
      return el("span", { className: "row-status " + cls, title: r.Error || "" }, el("strong", { text: r.Status }), isKnown(r.Error) ? " · " + r.Error : null);
    }, cls: "wrap" }
  ];

  function bulkHead() {
    var tr = $("bulk-head");
    clear(tr);
    BULK_COLUMNS.forEach(function (c) {
      var b = el("button", { className: "sort", text: c.label, attrs: { type: "button", "data-sort": c.id, title: "Sort by " + c.label.toLowerCase() } });
      b.addEventListener("click", function () { sortBulk(c.id); });
      var th = el("th", { className: c.cls || "", attrs: { scope: "col", "aria-sort": bulk.sortKey === c.id ? (bulk.sortDir > 0 ? "ascending" : "descending") : "none" } }, b);
      tr.appendChild(th);
    });
  }

  function bulkRow(r) {
    var tr = el("tr", { attrs: { "data-status": r.Status } });
    BULK_COLUMNS.forEach(function (c) {
      var v = c.cell(r);
      tr.appendChild(el("td", { className: c.cls || "" }, isKnown(v) ? v : el("span", { className: "muted", text: DASH })));
    });
    return tr;
  }

  function renderBulkRows() {
    var tb = $("bulk-rows");
    clear(tb);
    var frag = document.createDocumentFragment();
    bulk.rows.forEach(function (r) { frag.appendChild(bulkRow(r)); });
    tb.appendChild(frag);
    bulkHead();
  }

  // sortBulk orders the rows by a column; the same column again reverses
  // the order. Rows without a value stay last.
  function sortBulk(id) {
    var col = BULK_COLUMNS.filter(function (c) { return c.id === id; })[0];
    if (!col) return;
    bulk.sortDir = bulk.sortKey === id ? -bulk.sortDir : 1;
    bulk.sortKey = id;
    var dir = bulk.sortDir;
    bulk.rows = bulk.rows.map(function (r, i) { return { r: r, i: i, k: col.key(r) }; }).sort(function (a, b) {
      if (a.k < b.k) return -dir;
      if (a.k > b.k) return dir;
      return a.i - b.i;
    }).map(function (x) { return x.r; });
    renderBulkRows();
    var b = document.querySelector('#bulk-head button[data-sort="' + id + '"]');
    if (b) b.focus();
  }

  function bulkSummaryText(sum, n) {
    if (!sum) return n + " rows";
    var parts = [num(sum.Answered) + " answered"];
    if (sum.Invalid) parts.push(num(sum.Invalid) + " not recognised");
    if (sum.Held) parts.push(num(sum.Held) + " held");
    if (sum.RateLimited) parts.push(num(sum.RateLimited) + " over the burst limit");
    if (sum.QuotaExceeded) parts.push(num(sum.QuotaExceeded) + " over the quota");
    return num(sum.Indicators) + " indicators: " + parts.join(", ") + ".";
  }

  // runBulk posts the text area to /api/bulk and reads the NDJSON answer
  // as it streams, row by row, moving the progress bar.
  function runBulk() {
    var text = $("bulk-text").value;
    if (!text.trim()) { $("bulk-text").focus(); return; }
    hideAlert();
    var token = keepToken();
    if (!token) {
      showAlert("API token needed", "Enter your API token at the top of the page, then look the indicators up again.", null, "info");
      $("token").focus();
      return;
    }
    if (bulk.ctl) bulk.ctl.abort();
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    bulk.ctl = ctl;
    bulk.rows = [];
    bulk.sortKey = null;
    var prog = $("bulk-progress");
    var state = $("bulk-state");
    var tb = $("bulk-rows");
    clear(tb);
    bulkHead();
    $("bulk-out").hidden = false;
    $("bulk-summary").textContent = "";
    $("bulk-go").disabled = true;
    prog.hidden = false;
    prog.value = 0;
    prog.max = 1;
    state.textContent = "Sending…";
    var total = 0, summary = null;
    var pending = [];
    var flushRows = function () {
      if (!pending.length) return;
      var frag = document.createDocumentFragment();
      pending.forEach(function (r) { frag.appendChild(bulkRow(r)); });
      tb.appendChild(frag);
      pending = [];
      prog.value = bulk.rows.length;
      state.textContent = num(bulk.rows.length) + " of " + num(total);
    };
    var take = function (line) {
      if (!line.trim()) return;
      var o;
      try { o = JSON.parse(line); } catch (e) { return; }
      if (o && o.Summary) { summary = o; return; }
      bulk.rows.push(o);
      pending.push(o);
    };
    fetch("/api/bulk?format=ndjson", {
      method: "POST",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "text/plain; charset=utf-8", "Accept": "application/x-ndjson" },
      body: text,
      credentials: "omit", cache: "no-store", redirect: "error", referrerPolicy: "no-referrer",
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (body) {
          var data = null;
          try { data = JSON.parse(body); } catch (e) { data = null; }
          var title = resp.status + " " + (STATUS_TEXT[resp.status] || resp.statusText || "Error");
          showAlert(title, data && typeof data.message === "string" ? data.message : "The server answered without an explanation.",
            data && typeof data.error === "string" ? data.error : null);
          state.textContent = "The bulk lookup failed: " + title + ".";
          $("bulk-out").hidden = true;
        });
      }
      total = parseInt(resp.headers.get("Tipd-Bulk-Indicators") || "0", 10) || 0;
      prog.max = Math.max(total, 1);
      state.textContent = "0 of " + num(total);
      var decoder = new TextDecoder();
      var buf = "";
      var reader = resp.body.getReader();
      var pump = function () {
        return reader.read().then(function (chunk) {
          if (bulk.ctl !== ctl) return null;
          if (chunk.done) {
            take(buf);
            flushRows();
            return true;
          }
          buf += decoder.decode(chunk.value, { stream: true });
          var lines = buf.split("\n");
          buf = lines.pop();
          lines.forEach(take);
          flushRows();
          return pump();
        });
      };
      return pump().then(function (done) {
        if (!done) return;
        $("bulk-summary").textContent = bulkSummaryText(summary && summary.Summary, bulk.rows.length);
        if (summary && summary.LicenseInfo) {
          $("bulk-summary").textContent += " Requests today " + num(summary.LicenseInfo.DayRequests) + " / " + num(summary.LicenseInfo.DayQuota) + ".";
        }
        state.textContent = summary ? "Done: " + num(bulk.rows.length) + " rows." : "The answer was cut short: " + num(bulk.rows.length) + " rows.";
      });
    }).catch(function (err) {
      if (err && err.name === "AbortError") return;
      showAlert("Could not reach the server", "The bulk lookup did not complete (" + (err && err.message ? err.message : "network error") + ").", null);
      state.textContent = "";
    }).then(function () {
      if (bulk.ctl === ctl) {
        bulk.ctl = null;
        $("bulk-go").disabled = false;
        prog.hidden = true;
      }
    });
  }

  // ---- Exports of the bulk table --------------------------------------------

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = el("a", { attrs: { download: name } });
    a.href = url;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // csvCell quotes a value for CSV; a value a spreadsheet would run as a
  // formula (= + - @ at the start) gets a leading apostrophe.
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  var EXPORT_KEYS = ["Indicator", "Kind", "Value", "Status", "Zone", "ThreatScore", "TopCategory", "Country", "ASN", "ASName", "Error"];

  function bulkCSV(rows) {
    var lines = [EXPORT_KEYS.join(",")];
    rows.forEach(function (r) { lines.push(EXPORT_KEYS.map(function (k) { return csvCell(r[k]); }).join(",")); });
    return lines.join("\r\n") + "\r\n";
  }

  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var STIX_TYPES = {
    CATEGORY_TOR_EXIT_NODE: "anonymization", CATEGORY_OPEN_PROXY: "anonymization", CATEGORY_COMPROMISED: "compromised",
    CATEGORY_MALWARE: "malicious-activity", CATEGORY_BOTNET_CNC: "malicious-activity", CATEGORY_PHISHING: "malicious-activity",
    CATEGORY_APT: "malicious-activity", CATEGORY_RANSOMWARE: "malicious-activity"
  };

  function stixString(v) { return "'" + String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'"; }

  // bulkSTIX is a STIX 2.1 bundle of the answered rows (docs/stix.md, "Bulk
  // lookup bundles"): the portal's identity, one observable per row with
  // the verdict as x_tipd_ properties, and for Red and Orange rows (files:
  // Red) an indicator with the lookups' pattern, based on the observable.
  function bulkSTIX(rows) {
    var now = new Date().toISOString().replace(/\.\d+Z$/, ".000Z");
    var ident = { type: "identity", spec_version: "2.1", id: "identity--" + uuid4(), created: now, modified: now, name: "tipd", identity_class: "system" };
    var objects = [ident];
    rows.forEach(function (r) {
      if (r.Status !== "ok" || !isKnown(r.Value)) return;
      var obs, pattern;
      var v6 = String(r.Value).indexOf(":") >= 0;
      switch (r.Kind) {
        case "ip": case "cidr":
          obs = { type: v6 ? "ipv6-addr" : "ipv4-addr", value: r.Value };
          pattern = "[" + obs.type + ":value = " + stixString(r.Value) + "]";
          break;
        case "domain":
          obs = { type: "domain-name", value: r.Value };
          pattern = "[domain-name:value = " + stixString(r.Value) + "]";
          break;
        case "url":
          obs = { type: "url", value: withScheme(r.Value), x_tipd_key: r.Value };
          pattern = "[url:value = " + stixString(withScheme(r.Value)) + "]";
          break;
        case "hash":
          var alg = r.Value.length === 64 ? "SHA-256" : r.Value.length === 40 ? "SHA-1" : "MD5";
          obs = { type: "file", hashes: {} };
          obs.hashes[alg] = r.Value.toLowerCase();
          pattern = "[file:hashes." + (alg === "MD5" ? "MD5" : "'" + alg + "'") + " = " + stixString(r.Value.toLowerCase()) + "]";
          break;
        default:
          return;
      }
      obs.spec_version = "2.1";
      obs.id = obs.type + "--" + uuid4();
      if (isKnown(r.Zone)) obs.x_tipd_zone = r.Zone;
      if (typeof r.ThreatScore === "number") obs.x_tipd_threat_score = r.ThreatScore;
      if (isKnown(r.TopCategory)) obs.x_tipd_top_category = r.TopCategory;
      if (isKnown(r.Country)) obs.x_tipd_country = r.Country;
      if (isKnown(r.ASN)) obs.x_tipd_asn = r.ASN;
      objects.push(obs);
      var flagged = r.Zone === "Red" || (r.Zone === "Orange" && r.Kind !== "hash");
      if (!flagged) return;
      var ind = {
        type: "indicator", spec_version: "2.1", id: "indicator--" + uuid4(), created: now, modified: now,
        created_by_ref: ident.id, name: r.Value, pattern: pattern, pattern_type: "stix", valid_from: now,
        indicator_types: [r.Zone === "Red" && !STIX_TYPES[r.TopCategory] ? "malicious-activity" : (STIX_TYPES[r.TopCategory] || "anomalous-activity")],
        confidence: (r.Kind === "ip" && typeof r.ThreatScore === "number") ? r.ThreatScore : (r.Zone === "Red" ? 85 : 60)
      };
      objects.push(ind);
      objects.push({ type: "relationship", spec_version: "2.1", id: "relationship--" + uuid4(), created: now, modified: now,
        created_by_ref: ident.id, relationship_type: "based-on", source_ref: ind.id, target_ref: obs.id });
    });
    return JSON.stringify({ type: "bundle", id: "bundle--" + uuid4(), objects: objects }, null, 2) + "\n";
  }

  function exportBulk(kind) {
    if (!bulk.rows.length) return;
    if (kind === "csv") download("tipd-bulk.csv", "text/csv", bulkCSV(bulk.rows));
    else if (kind === "json") download("tipd-bulk.json", "application/json", JSON.stringify(bulk.rows, null, 2) + "\n");
    else download("tipd-bulk.stix.json", "application/stix+json", bulkSTIX(bulk.rows));
    setStatus("Exported " + num(bulk.rows.length) + " rows as " + kind.toUpperCase() + ".");
  }

  function showBulk(on) {
    $("bulk").hidden = !on;
    if (on) {
      clearResult();
      hideAlert();
      document.title = "Bulk lookup · tipd";
      setStatus("");
    }
  }

  var RENDER = { ip: renderIP, url: renderURL, domain: renderDomain, hash: renderFile, report: renderReport };

  function show(kind, q, data, n) {
    var r = $("result");
    clear(r);
    sectionSeq = 0;
    r.setAttribute("data-kind", kind);
    var nodes;
    try {
      nodes = data.UrlGeneralInfo ? renderURL(data, n) : RENDER[kind](data, n);
    } catch (e) {
      showAlert("Could not display the answer", "Part of the answer has an unexpected shape; the raw JSON is shown below.", null);
      nodes = [];
    }
    if (kind !== "report" && nodes.length) {
      // Under the verdict: the evidence behind it, filled by explainInto.
      nodes.splice(1, 0, card("Why this verdict", null,
        el("div", { id: "why-body", attrs: { "aria-busy": "true" } }, el("p", { className: "empty", text: "Loading the evidence…" })), "card-why"));
    }
    // Right under the verdict: copy the indicator, export the answer.
    if (nodes.length) nodes.splice(1, 0, answerTools(kind, q, data));
    append(r, nodes);
    append(r, rawCard(data));
    r.hidden = false;
    // A pivot link that started this lookup was replaced with the old
    // result; give the focus to the new one instead of the page body.
    var title = $("result-title");
    if (title && (!document.activeElement || document.activeElement === document.body)) title.focus();
    rememberLookup(kind, q, kind === "report" ? "" : data.Zone);
    if (kind === "report") {
      setStatus(q + ": threat report.");
      return;
    }
    var z = typeof data.Zone === "string" ? data.Zone : "unknown";
    var g = data.IpGeneralInfo;
    setStatus(q + ": zone " + z + (g && typeof g.ThreatScore === "number" ? ", threat score " + g.ThreatScore : "") + ".");
  }

  // route runs the lookup named by the address bar, if any.
  function route() {
    if (window.location.hash === "#/bulk") {
      showBulk(true);
      $("bulk-text").focus();
      return;
    }
    showBulk(false);
    if (networkRoute() || feedRoute()) return;
    var q = currentRequest();
    if (!q) return;
    $("q").value = q.value;
    lookup(q.kind, q.value);
  }

  // go shows the lookup of a typed value: its kind is classified, the
  // address bar gets its link, and hashchange runs it.
  function go(v) {
    var c = classify(v);
    if (!c) return;
    var h = "#/" + c.kind + "/" + encodeURIComponent(c.value);
    if (window.location.hash === h) {
      lookup(c.kind, c.value);
    } else {
      window.location.hash = h;
    }
  }

  function init() {
    // ?q=… is accepted as a link form and turned into the fragment form.
    var params = new URLSearchParams(window.location.search);
    var q = classify(params.get("q") || "");
    if (q) {
      history.replaceState(null, "", window.location.pathname + "#/" + q.kind + "/" + encodeURIComponent(q.value));
    }
    var s = storage();
    var c = s && s.getItem(COUNT_KEY);
    if (c && $("count").querySelector("option[value='" + (parseInt(c, 10) || 0) + "']")) $("count").value = String(parseInt(c, 10));

    $("search").addEventListener("submit", function (ev) {
      ev.preventDefault();
      go($("q").value);
    });
    $("token-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      keepToken();
      if (currentRequest()) route();
      else $("q").focus();
    });
    $("token").addEventListener("input", showTokenState);
    $("token").addEventListener("change", keepToken);
    $("forget").addEventListener("click", forgetToken);
    $("bulk-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      runBulk();
    });
    $("bulk-text").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        runBulk();
      }
    });
    ["csv", "json", "stix"].forEach(function (k) {
      $("bulk-" + k).addEventListener("click", function () { exportBulk(k); });
    });
    $("count").addEventListener("change", function () {
      var st = storage();
      if (st) st.setItem(COUNT_KEY, $("count").value);
      if (currentRequest()) route();
    });
    window.addEventListener("hashchange", route);

    showTokenState();
    showRecent();
    if (currentRequest() || window.location.hash === "#/bulk" || NET_ROUTE.test(window.location.hash) || FEED_ROUTE.test(window.location.hash)) route();
    else $("q").focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
