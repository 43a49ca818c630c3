/**
 * English function words left out of the search index and of key-term
 * extraction. Content words that are often capitalised in names ("new",
 * "great", "first") are deliberately kept: "New Orleans", "Great Society".
 */
export const INDEX_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have having " +
    "he her here hers herself him himself his how i if in into is it its itself just me might more most must my " +
    "myself no nor not now of off on once only or other our ours ourselves out over own same shall she should so " +
    "some such than that the their theirs them themselves then there these they this those through to too under " +
    "until up upon us very was we were what when where which while who whom why will with would yet you your " +
    "yours yourself yourselves may many much every one"
  ).split(" "),
);

/**
 * Words that say how a question is asked rather than what it is about; left
 * out when the offline writer picks a query's key terms.
 */
export const QUESTION_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "say said says tell told describe described explain explained according regarding concerning happen happened " +
    "think thought view views mention mentioned discuss discussed talk talked speak spoke give gave know known " +
    "make made get got like want see way ways thing things kind role impact effect effects important main major " +
    "overview history summary summarize compare compared comparison question questions answer please find show " +
    "president presidents speech speeches did does do use used example examples go goes went gone come came " +
    "which whose various different across over time period"
  ).split(" "),
);
