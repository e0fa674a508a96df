"""The ClickHouse functions a query may call, and PostHog's friendlier names for some.

Anything not listed is refused: no function that reads files, URLs or other servers
(`file`, `url`, `remote`), looks at the server (`getSetting`, `hostName`, `currentUser`),
reads dictionaries or other tables (`dictGet`, `joinGet`) or sleeps.
"""

from __future__ import annotations

_AGGREGATES = """
count countIf sum sumIf avg avgIf min minIf max maxIf any anyIf anyLast anyLastIf
argMin argMax argMinIf argMaxIf uniq uniqIf uniqExact uniqExactIf uniqCombined uniqHLL12
groupArray groupArrayIf groupUniqArray groupUniqArrayIf groupArraySample groupBitOr groupBitAnd
median medianIf medianExact quantile quantileIf quantiles quantileExact quantilesExact
quantileTDigest quantileTiming stddevPop stddevSamp varPop varSamp covarPop covarSamp corr
topK topKIf sumMap minMap maxMap avgWeighted countDistinct
retention windowFunnel sequenceMatch sequenceCount simpleLinearRegression
"""

_SCALARS = """
if multiIf coalesce ifNull nullIf isNull isNotNull assumeNotNull toNullable isFinite isNaN
and or not xor equals notEquals less greater lessOrEquals greaterOrEquals
plus minus multiply divide intDiv intDivOrZero modulo negate abs sign round roundBankers floor
ceil trunc sqrt cbrt exp exp2 exp10 log ln log2 log10 pow power greatest least
e pi rand rand64 randCanonical
toString toInt8 toInt16 toInt32 toInt64 toUInt8 toUInt16 toUInt32 toUInt64 toFloat32 toFloat64
toInt64OrNull toInt32OrNull toFloat64OrNull toUInt64OrNull toInt64OrZero toFloat64OrZero
toDecimal64 toBool toUUID toUUIDOrNull toTypeName accurateCastOrNull reinterpretAsString
toDate toDateOrNull toDate32 toDateTime toDateTimeOrNull toDateTime64 toDateTime64OrNull
parseDateTimeBestEffort parseDateTimeBestEffortOrNull parseDateTime64BestEffort
parseDateTime64BestEffortOrNull parseDateTime parseDateTimeOrNull
toTimeZone toUnixTimestamp toUnixTimestamp64Milli fromUnixTimestamp fromUnixTimestamp64Milli
toYear toQuarter toMonth toWeek toISOWeek toISOYear toDayOfYear toDayOfMonth toDayOfWeek
toHour toMinute toSecond toYYYYMM toYYYYMMDD toYYYYMMDDhhmmss
toStartOfYear toStartOfQuarter toStartOfMonth toStartOfWeek toMonday toStartOfDay
toStartOfHour toStartOfMinute toStartOfFiveMinutes toStartOfFifteenMinutes toStartOfInterval
toRelativeDayNum toRelativeWeekNum toRelativeMonthNum toRelativeHourNum
dateDiff date_diff dateAdd dateSub dateTrunc date_trunc timeSlot age
addSeconds addMinutes addHours addDays addWeeks addMonths addQuarters addYears
subtractSeconds subtractMinutes subtractHours subtractDays subtractWeeks subtractMonths
subtractQuarters subtractYears formatDateTime
toIntervalSecond toIntervalMinute toIntervalHour toIntervalDay toIntervalWeek
toIntervalMonth toIntervalQuarter toIntervalYear
now now64 today yesterday
length lengthUTF8 char_length empty notEmpty lower upper lowerUTF8 upperUTF8 reverse
concat concatWithSeparator substring substringUTF8 left right leftPad rightPad
trim trimLeft trimRight trimBoth replaceAll replaceOne replaceRegexpAll replaceRegexpOne
position positionCaseInsensitive positionUTF8 positionCaseInsensitiveUTF8 locate
startsWith endsWith like notLike ilike notILike match multiMatchAny extract extractAll
extractGroups splitByChar splitByString splitByRegexp arrayStringConcat format repeat
base64Encode base64Decode tryBase64Decode hex unhex
domain domainWithoutWWW topLevelDomain protocol path pathFull queryString fragment
cutQueryString cutFragment cutWWW extractURLParameter extractURLParameters
decodeURLComponent encodeURLComponent
JSONHas JSONLength JSONType JSONExtractString JSONExtractInt JSONExtractUInt
JSONExtractFloat JSONExtractBool JSONExtractRaw JSONExtractArrayRaw JSONExtractKeys
JSONExtractKeysAndValuesRaw isValidJSON toJSONString
array arrayJoin has hasAll hasAny indexOf arrayElement arrayConcat arraySlice
arrayPushBack arrayPushFront arrayPopBack arrayPopFront arrayDistinct arrayUniq
arrayEnumerate arrayEnumerateUniq arrayCompact arrayFlatten arrayZip arrayReverse
arraySort arrayReverseSort arrayMap arrayFilter arrayExists arrayAll arrayCount arraySum
arrayAvg arrayMin arrayMax arrayFirst arrayLast arrayFirstIndex arrayCumSum
arrayDifference arrayIntersect arrayResize range emptyArrayString emptyArrayInt64
tuple tupleElement untuple map mapKeys mapValues mapContains
cityHash64 sipHash64 xxHash64 murmurHash3_64 MD5 SHA256 farmHash64
bar formatReadableSize formatReadableQuantity formatReadableTimeDelta
generateUUIDv4 toFixedString bitAnd bitOr bitXor bitNot bitShiftLeft bitShiftRight
"""

# PostHog's SQL names that differ from ClickHouse's, and forgiving conversions: these
# return NULL for values that do not convert instead of failing the whole query.
RENAMED = {
    "toInt": "toInt64OrNull",
    "toFloat": "toFloat64OrNull",
    "toDecimal": "toDecimal64",
    "toDateTime": "parseDateTime64BestEffortOrNull",
    "toDate": "toDate",
    "count_distinct": "uniqExact",
    "countDistinct": "uniqExact",
    "regexp_matches": "match",
}

# Conversions that take any type, not only strings (the `OrNull` ClickHouse functions want a
# String): their argument is turned into text first when it is not already one.
TEXT_ARGUMENT = frozenset({"toInt64OrNull", "toFloat64OrNull", "parseDateTime64BestEffortOrNull"})

AGGREGATES = frozenset(_AGGREGATES.split())
SCALARS = frozenset(_SCALARS.split())
ALLOWED = AGGREGATES | SCALARS

# SQL's usual names are accepted in any case: COUNT(*), Sum(x), LOWER(s).
_SQL_NAMES = """count sum avg min max any if coalesce ifNull nullIf lower upper length concat
substring trim abs round floor ceil greatest least now today position replaceAll left right"""
_ANY_CASE = {name.lower(): name for name in _SQL_NAMES.split()}


def resolve_function(name: str) -> str | None:
    """The ClickHouse name to print for `name`, or None if it may not be called."""
    if name in RENAMED:
        return RENAMED[name]
    if name in ALLOWED:
        return name
    return _ANY_CASE.get(name.lower())


def is_aggregate(clickhouse_name: str) -> bool:
    return clickhouse_name in AGGREGATES or clickhouse_name == "uniqExact"
