//! Pagination of list queries.

use crate::error::FieldError;
use serde::Serialize;

/// Which page of a list to return (pages count from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    pub const MAX_PAGE_SIZE: u32 = 100;
    pub const DEFAULT_PAGE_SIZE: u32 = 50;

    pub fn new(page: u32, page_size: u32) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if page < 1 {
            errors.push(FieldError::new(
                "page",
                "out_of_range",
                "must be at least 1",
            ));
        }
        if !(1..=Self::MAX_PAGE_SIZE).contains(&page_size) {
            errors.push(FieldError::new(
                "page_size",
                "out_of_range",
                format!("must be between 1 and {}", Self::MAX_PAGE_SIZE),
            ));
        }
        if errors.is_empty() {
            Ok(Self { page, page_size })
        } else {
            Err(errors)
        }
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn page_size(self) -> u32 {
        self.page_size
    }

    /// Rows to skip.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }

    pub fn limit(self) -> u64 {
        u64::from(self.page_size)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: Self::DEFAULT_PAGE_SIZE,
        }
    }
}

/// One page of a list, with what a client needs to page through it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = i64, minimum = 1, maximum = 4294967295i64)
    )]
    pub page: u32,
    pub page_size: u32,
    pub total_pages: u64,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        let size = u64::from(request.page_size);
        let total_pages = total.div_ceil(size);
        Self {
            items,
            total,
            page: request.page,
            page_size: request.page_size,
            total_pages,
            has_next: u64::from(request.page) < total_pages,
            has_previous: request.page > 1,
        }
    }

    /// The page with each item turned by `f`, or the first error `f` gives.
    ///
    /// # Errors
    /// The first error of `f`.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            total: self.total,
            page: self.page,
            page_size: self.page_size,
            total_pages: self.total_pages,
            has_next: self.has_next,
            has_previous: self.has_previous,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_arithmetic() {
        let request = PageRequest::new(2, 10).unwrap();
        assert_eq!(request.offset(), 10);
        let page = Page::new(vec![1; 10], 25, request);
        assert_eq!(page.total_pages, 3);
        assert!(page.has_next && page.has_previous);
        let last = Page::new(vec![1; 5], 25, PageRequest::new(3, 10).unwrap());
        assert!(!last.has_next);
        let empty = Page::<u8>::new(vec![], 0, PageRequest::default());
        assert_eq!(
            (empty.total_pages, empty.has_next, empty.has_previous),
            (0, false, false)
        );
    }

    #[test]
    fn bounds_are_checked() {
        assert!(PageRequest::new(0, 10).is_err());
        assert!(PageRequest::new(1, 0).is_err());
        assert!(PageRequest::new(1, 101).is_err());
        assert_eq!(PageRequest::new(0, 0).unwrap_err().len(), 2);
    }
}
