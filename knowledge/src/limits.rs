use crate::error::Error;

/// What one knowledge base and one file may hold. The defaults are the product's plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_sources_per_knowledge_base: usize,
    pub max_file_bytes: u64,
    pub max_pdf_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sources_per_knowledge_base: 10,
            max_file_bytes: 20 * 1024 * 1024,
            max_pdf_pages: 1000,
        }
    }
}

impl Limits {
    pub fn check_file_size(&self, size: usize) -> Result<(), Error> {
        let size = size as u64;
        if size > self.max_file_bytes {
            return Err(Error::FileTooLarge {
                size,
                limit: self.max_file_bytes,
            });
        }
        Ok(())
    }

    /// Refuses a knowledge base that would hold more than its share of sources.
    pub fn check_source_count(&self, sources: usize) -> Result<(), Error> {
        if sources > self.max_sources_per_knowledge_base {
            return Err(Error::TooManySources {
                limit: self.max_sources_per_knowledge_base,
            });
        }
        Ok(())
    }

    pub fn check_pdf_pages(&self, pages: usize) -> Result<(), Error> {
        if pages > self.max_pdf_pages {
            return Err(Error::TooManyPages {
                pages,
                limit: self.max_pdf_pages,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_limit() {
        let limits = Limits::default();
        assert!(limits.check_file_size(20 * 1024 * 1024).is_ok());
        let error = limits.check_file_size(20 * 1024 * 1024 + 1).unwrap_err();
        assert!(
            error.to_string().contains("20971520 bytes per file"),
            "{error}"
        );
        assert!(limits.check_source_count(10).is_ok());
        assert!(
            limits
                .check_source_count(11)
                .unwrap_err()
                .to_string()
                .contains("at most 10")
        );
        assert!(
            limits
                .check_pdf_pages(1001)
                .unwrap_err()
                .to_string()
                .contains("1000 pages")
        );
    }
}
