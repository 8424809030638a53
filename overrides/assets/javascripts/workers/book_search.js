/* The book's search worker: Material's (loaded below, unchanged), with the query's Chinese
 * cut into the index's words before it is searched.
 *
 * Material cuts a run of Chinese characters in the query greedily into words of the index,
 * but it never tries a word that ends at the query's last character: 残差连接, itself a word
 * of the Chinese index (the build teaches jieba the glossary's terms), was searched as 残差*
 * and the chapter on residual connections ranked below pages that say 残差 more often. The
 * book cuts the query itself (longest word of the index first, the last character included)
 * and hands Lunr the query Material would have built from those words.
 *
 * overrides/main.html starts this worker in place of Material's, naming Material's worker in
 * the address (?material=search.<hash>.min.js); both sit in assets/javascripts/workers/, so
 * Material's language files load from where it expects them. */

/* The longest words of ``words`` (an object whose keys are the index's terms) that cover
 * ``text``, left to right; characters that begin no word are kept together as one part. */
function bookSegment(text, words) {
  var parts = [], unknown = "", p = 0;
  while (p < text.length) {
    var end = 0;
    for (var j = text.length; j > p; j--) {
      if (Object.prototype.hasOwnProperty.call(words, text.slice(p, j))) { end = j; break; }
    }
    if (!end) { unknown += text[p]; p += 1; continue; }
    if (unknown) { parts.push(unknown); unknown = ""; }
    parts.push(text.slice(p, end));
    p = end;
  }
  if (unknown) parts.push(unknown);
  return parts;
}

/* Material's query transformation (integrations/search/query/transform, MIT licence), with the
 * Chinese cut by bookSegment: quoted parts become required terms, stray control characters
 * go, and every term not marked with a modifier gets a trailing wildcard. */
function bookQuery(query, words) {
  return query
    .replace(/\p{sc=Han}+/gu, function (run) { return bookSegment(run, words).join("* "); })
    .trim()
    .split(/"([^"]+)"/g)
    .map(function (parts, index) { return index & 1 ? parts.replace(/^\b|^(?![^\x00-\x7F]|$)|\s+/g, " +") : parts; })
    .join("")
    .replace(/"|(?:^|\s+)[*+\-:^~]+(?=\s+|$)/g, "")
    .split(/\s+/g)
    .map(function (term) { return /([~^]$)/.test(term) ? term + "1" : term; })
    .map(function (term) { return /(^[+-]|[~^]\d+$|\*$)/.test(term) ? term : term + "*"; })
    .join(" ");
}

if (typeof module !== "undefined" && module.exports) {
  module.exports = { bookSegment: bookSegment, bookQuery: bookQuery };  // for the unit tests (node)
} else if (typeof importScripts === "function") {
  (function () {
    var QUERY = 2;  // Material's SearchMessageType.QUERY
    var asked = null;
    // Registered before Material's own listener, so it sees each query first.
    self.addEventListener("message", function (event) {
      var message = event.data;
      asked = message && message.type === QUERY && typeof message.data === "string" ? message.data : null;
    });
    importScripts(new URL(self.location.href).searchParams.get("material"));
    var search = self.lunr.Index.prototype.search;
    self.lunr.Index.prototype.search = function (query) {
      if (asked !== null && /\p{sc=Han}/u.test(asked)) {
        var ours = bookQuery(asked, this.invertedIndex);
        if (ours) query = ours;
      }
      return search.call(this, query);
    };
  })();
}
