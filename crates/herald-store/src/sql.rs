//! The backend interface under the use cases: statements run inside one transaction, the
//! same for every database. The SQL is written once, in what both SQLite and PostgreSQL
//! accept, with numbered placeholders (`?1`, `?2`, …; a PostgreSQL driver rewrites them to
//! `$1`, `$2`, …). Values cross the interface as integers, text, bytes, reals and booleans:
//! instants are integer microseconds, ids text, structured values JSON text, so a column
//! reads the same from either database. See `docs/architecture.md`.
use crate::{Result, StoreError};

/// A value bound to a placeholder.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// What can be bound to a placeholder.
pub trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

macro_rules! int_values {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_values!(i64, i32, u32, u16, u8);

macro_rules! wide_ints {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            /// Counts and sizes; none comes near `i64::MAX`.
            fn to_value(&self) -> Value<'_> {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
wide_ints!(u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Bytes(self)
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Bytes(self)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// The placeholders' values of one statement, in order: `args![a, b, c]`.
#[macro_export]
macro_rules! args {
    () => { &[] as &[&dyn $crate::sql::ToValue] };
    ($($value:expr),+ $(,)?) => { &[$(&$value as &dyn $crate::sql::ToValue),+] as &[&dyn $crate::sql::ToValue] };
}

/// One row of a result, read by column position.
pub trait Row {
    fn int(&self, column: usize) -> Result<Option<i64>>;
    fn real(&self, column: usize) -> Result<Option<f64>>;
    fn text(&self, column: usize) -> Result<Option<String>>;
    fn bytes(&self, column: usize) -> Result<Option<Vec<u8>>>;
    /// A condition's result: a boolean in PostgreSQL, 0 or 1 in SQLite.
    fn boolean(&self, column: usize) -> Result<Option<bool>>;
}

/// What a column can be read as.
pub trait FromColumn: Sized {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<Self>>;
}

impl FromColumn for i64 {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<i64>> {
        row.int(column)
    }
}

macro_rules! narrow_ints {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_column(row: &dyn Row, column: usize) -> Result<Option<$t>> {
                row.int(column)?
                    .map(|n| <$t>::try_from(n).map_err(|_| decoding(column, &format!("{n} is out of range"))))
                    .transpose()
            }
        }
    )*};
}
narrow_ints!(u64, u32, i32, u8, usize);

impl FromColumn for f64 {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<f64>> {
        row.real(column)
    }
}

impl FromColumn for bool {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<bool>> {
        row.boolean(column)
    }
}

impl FromColumn for String {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<String>> {
        row.text(column)
    }
}

impl FromColumn for Vec<u8> {
    fn from_column(row: &dyn Row, column: usize) -> Result<Option<Vec<u8>>> {
        row.bytes(column)
    }
}

/// A column that may be NULL.
pub trait Column: Sized {
    fn read(row: &dyn Row, column: usize) -> Result<Self>;
}

impl<T: FromColumn> Column for T {
    fn read(row: &dyn Row, column: usize) -> Result<T> {
        T::from_column(row, column)?.ok_or_else(|| decoding(column, "is NULL"))
    }
}

impl<T: FromColumn> Column for Option<T> {
    fn read(row: &dyn Row, column: usize) -> Result<Option<T>> {
        T::from_column(row, column)
    }
}

impl dyn Row + '_ {
    /// Column `column` as `T` (an `Option` for a column that may be NULL).
    pub fn get<T: Column>(&self, column: usize) -> Result<T> {
        T::read(self, column)
    }
}

pub fn decoding(column: usize, what: &str) -> StoreError {
    StoreError::Internal(format!("stored column {column} could not be read: {what}"))
}

/// Statements inside one open transaction. Every write of a use case goes through one, and
/// commits or rolls back with it.
pub trait Tx {
    /// Runs a statement; how many rows it changed.
    fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize>;
    /// Runs a statement and hands its rows to `each`, in order, while `each` answers true.
    /// A statement that writes (`UPDATE … RETURNING`) has written all of it by the first row.
    fn each_row(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()>;
}

impl dyn Tx + '_ {
    /// Every row, each read by `read`.
    pub fn query<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        mut read: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each_row(sql, args, &mut |row| {
            out.push(read(row)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// The first row, if there is one.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        read: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut read = Some(read);
        let mut out = None;
        self.each_row(sql, args, &mut |row| {
            if let Some(read) = read.take() {
                out = Some(read(row)?);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// The first row of a query that always returns one (an aggregate, say).
    pub fn query_one<T>(
        &self,
        sql: &str,
        args: &[&dyn ToValue],
        read: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, args, read)?
            .ok_or_else(|| StoreError::Internal(format!("no row from: {sql}")))
    }

    /// Whether the query returns any row.
    pub fn exists(&self, sql: &str, args: &[&dyn ToValue]) -> Result<bool> {
        Ok(self.query_opt(sql, args, |_| Ok(()))?.is_some())
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    //! `rusqlite`'s connections as a [`Tx`]: statements are prepared once per connection and
    //! cached; text and bytes are bound without copying.
    use rusqlite::types::{ToSqlOutput, ValueRef};
    use rusqlite::{Connection, ToSql, Transaction};

    use super::{Row, ToValue, Tx, Value, decoding};
    use crate::Result;

    struct Bind<'a>(Value<'a>);

    impl ToSql for Bind<'_> {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::Borrowed(match self.0 {
                Value::Null => ValueRef::Null,
                Value::Int(n) => ValueRef::Integer(n),
                Value::Real(x) => ValueRef::Real(x),
                Value::Bool(b) => ValueRef::Integer(i64::from(b)),
                Value::Text(s) => ValueRef::Text(s.as_bytes()),
                Value::Bytes(b) => ValueRef::Blob(b),
            }))
        }
    }

    fn binds<'a>(args: &'a [&'a dyn ToValue]) -> Vec<Bind<'a>> {
        args.iter().map(|a| Bind(a.to_value())).collect()
    }

    impl Row for rusqlite::Row<'_> {
        fn int(&self, column: usize) -> Result<Option<i64>> {
            Ok(self.get(column)?)
        }

        fn real(&self, column: usize) -> Result<Option<f64>> {
            Ok(self.get(column)?)
        }

        fn text(&self, column: usize) -> Result<Option<String>> {
            Ok(self.get(column)?)
        }

        fn bytes(&self, column: usize) -> Result<Option<Vec<u8>>> {
            Ok(self.get(column)?)
        }

        fn boolean(&self, column: usize) -> Result<Option<bool>> {
            match self.get_ref(column)? {
                ValueRef::Null => Ok(None),
                ValueRef::Integer(n) => Ok(Some(n != 0)),
                other => Err(decoding(
                    column,
                    &format!("{:?} is not a boolean", other.data_type()),
                )),
            }
        }
    }

    impl Tx for Connection {
        fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
            let binds = binds(args);
            let params: Vec<&dyn ToSql> = binds.iter().map(|b| b as &dyn ToSql).collect();
            Ok(self.prepare_cached(sql)?.execute(params.as_slice())?)
        }

        fn each_row(
            &self,
            sql: &str,
            args: &[&dyn ToValue],
            each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
        ) -> Result<()> {
            let binds = binds(args);
            let params: Vec<&dyn ToSql> = binds.iter().map(|b| b as &dyn ToSql).collect();
            let mut stmt = self.prepare_cached(sql)?;
            let mut rows = stmt.query(params.as_slice())?;
            while let Some(row) = rows.next()? {
                if !each(row)? {
                    break;
                }
            }
            Ok(())
        }
    }

    impl Tx for Transaction<'_> {
        fn execute(&self, sql: &str, args: &[&dyn ToValue]) -> Result<usize> {
            Tx::execute(&**self, sql, args)
        }

        fn each_row(
            &self,
            sql: &str,
            args: &[&dyn ToValue],
            each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
        ) -> Result<()> {
            Tx::each_row(&**self, sql, args, each)
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    fn db() -> rusqlite::Connection {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER, s TEXT, b BLOB, x REAL)")
            .unwrap();
        conn
    }

    #[test]
    fn values_go_in_and_come_back_as_they_were() {
        let conn = db();
        let tx: &dyn Tx = &conn;
        let (text, bytes) = (String::from("héllo"), vec![0u8, 255]);
        let changed = tx
            .execute(
                "INSERT INTO t (n, s, b, x) VALUES (?1, ?2, ?3, ?4), (?5, ?6, NULL, NULL)",
                args![42i64, text, bytes, 1.5f64, 7u32, None::<String>],
            )
            .unwrap();
        assert_eq!(changed, 2);
        let rows = tx
            .query("SELECT n, s, b, x FROM t ORDER BY n", args![], |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<Option<String>>(1)?,
                    row.get::<Option<Vec<u8>>>(2)?,
                    row.get::<Option<f64>>(3)?,
                ))
            })
            .unwrap();
        assert_eq!(
            rows,
            [
                (7, None, None, None),
                (42, Some(text.clone()), Some(bytes), Some(1.5))
            ]
        );
        let named = tx.query_one("SELECT s FROM t WHERE n = ?1", args![42u8], |row| {
            row.get::<String>(0)
        });
        assert_eq!(named.unwrap(), text);
    }

    #[test]
    fn conditions_read_as_booleans_and_bind_as_them() {
        let conn = db();
        let tx: &dyn Tx = &conn;
        let yes = tx.query_one("SELECT ?1 = 1, 2 > 3", args![true], |row| {
            Ok((row.get::<bool>(0)?, row.get::<bool>(1)?))
        });
        assert_eq!(yes.unwrap(), (true, false));
        let text = tx.query_one("SELECT 'x'", args![], |row| row.get::<bool>(0));
        assert!(text.unwrap_err().to_string().contains("not a boolean"));
    }

    #[test]
    fn a_column_that_does_not_fit_is_an_error_not_a_wrong_value() {
        let conn = db();
        let tx: &dyn Tx = &conn;
        let null = tx.query_one("SELECT NULL", args![], |row| row.get::<String>(0));
        assert!(null.unwrap_err().to_string().contains("is NULL"));
        let negative = tx.query_one("SELECT -1", args![], |row| row.get::<u32>(0));
        assert!(negative.unwrap_err().to_string().contains("out of range"));
        let none = tx.query_one("SELECT 1 WHERE 0", args![], |row| row.get::<i64>(0));
        assert!(none.is_err());
    }

    #[test]
    fn the_first_row_is_read_and_the_rest_left_alone() {
        let conn = db();
        let tx: &dyn Tx = &conn;
        for n in 1..=3i64 {
            tx.execute("INSERT INTO t (n) VALUES (?1)", args![n])
                .unwrap();
        }
        let mut read = 0;
        let first = tx.query_opt("SELECT n FROM t ORDER BY n", args![], |row| {
            read += 1;
            row.get::<i64>(0)
        });
        assert_eq!((first.unwrap(), read), (Some(1), 1));
        assert!(
            tx.exists("SELECT 1 FROM t WHERE n > ?1", args![2i64])
                .unwrap()
        );
        assert!(
            !tx.exists("SELECT 1 FROM t WHERE n > ?1", args![3i64])
                .unwrap()
        );
        let returned = tx.query_opt(
            "UPDATE t SET s = 'seen' WHERE n >= 2 RETURNING n",
            args![],
            |row| row.get::<i64>(0),
        );
        assert!(returned.unwrap().is_some());
        let seen = tx.query_one("SELECT COUNT(*) FROM t WHERE s = 'seen'", args![], |row| {
            row.get::<u64>(0)
        });
        assert_eq!(seen.unwrap(), 2, "the whole update ran");
    }
}
